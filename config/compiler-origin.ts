// Where the compiler command of a project came from, so a compiler that cannot be
// used is reported against the setting that named it (the line of replibuild.toml,
// or $CXX), not as a bare command the user has to trace back.
import { join } from 'node:path';
import { isTable } from './validate.js';
import { PROJECT_FILE } from './project-root.js';
import { locateKey, readTomlFile } from './toml-source.js';

export type CompilerOrigin =
  /** `column` is where the value starts (`cxx = "g++-99"`: at the quote). */
  | { kind: 'file'; file: string; line: number; column: number }
  | { kind: 'env' }
  | { kind: 'default' };

/** As config/project-config.ts resolves it: [compiler] cxx, else $CXX, else detected. */
export function compilerOrigin(root: string, env: NodeJS.ProcessEnv = process.env): CompilerOrigin {
  try {
    const src = readTomlFile(join(root, PROJECT_FILE));
    const compiler = src?.data['compiler'];
    if (src && isTable(compiler) && typeof compiler['cxx'] === 'string') {
      const at = locateKey(src.text, ['compiler', 'cxx']);
      const fromKey = src.text.split('\n')[at.line - 1]?.slice(at.column - 1) ?? '';
      const toValue = /^[^=]*=[ \t]*/.exec(fromKey)?.[0].length ?? 0;
      return { kind: 'file', file: src.file, line: at.line, column: at.column + toValue };
    }
  } catch {
    // Unreadable now: the build read it a moment ago; say less rather than fail.
  }
  return env['CXX']?.trim() ? { kind: 'env' } : { kind: 'default' };
}
