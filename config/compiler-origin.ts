// Where the compiler command of a project came from, so a compiler that cannot be
// used is reported against the setting that named it (the line of replibuild.toml,
// or $CXX / $CC), not as a bare command the user has to trace back.
import { join } from 'node:path';
import { isTable } from './validate.js';
import { PROJECT_FILE } from './project-root.js';
import { locateKey, readTomlFile } from './toml-source.js';

export type CompilerOrigin =
  /** `column` is where the value starts (`cxx = "g++-99"`: at the quote). */
  | { kind: 'file'; file: string; line: number; column: number }
  | { kind: 'env' }
  | { kind: 'default' };

/** The variable that names a compiler when replibuild.toml does not. */
export const COMPILER_ENV = { cxx: 'CXX', cc: 'CC' } as const;

/** As config/project-config.ts resolves it: [compiler] cxx (cc), else $CXX ($CC), else detected. */
export function compilerOrigin(root: string, env: NodeJS.ProcessEnv = process.env, key: 'cxx' | 'cc' = 'cxx'): CompilerOrigin {
  try {
    const src = readTomlFile(join(root, PROJECT_FILE));
    const compiler = src?.data['compiler'];
    if (src && isTable(compiler) && typeof compiler[key] === 'string') {
      const at = locateKey(src.text, ['compiler', key]);
      const fromKey = src.text.split('\n')[at.line - 1]?.slice(at.column - 1) ?? '';
      const toValue = /^[^=]*=[ \t]*/.exec(fromKey)?.[0].length ?? 0;
      return { kind: 'file', file: src.file, line: at.line, column: at.column + toValue };
    }
  } catch {
    // Unreadable now: the build read it a moment ago; say less rather than fail.
  }
  return env[COMPILER_ENV[key]]?.trim() ? { kind: 'env' } : { kind: 'default' };
}
