// A compiler that cannot be used, told against the setting that named it: the
// user's to fix, so a plain message (and, for replibuild.toml, a gcc-shaped line
// an editor can jump to), never an "internal error".
import { COMPILER_ENV, compilerOrigin } from '../../config/compiler-origin.js';
import { CompilerNotFoundError, CompilerProbeError } from '../../toolchain/compiler-errors.js';

export interface CompilerProblem {
  /** For the diagnostics stream, file:line:col first; null when no file names the compiler. */
  diagnostics: string | null;
  /** The build's one-line error. */
  error: string;
}

/** Null when `e` is not about the compiler (the caller reports it as it is). `key`: which
 *  of the project's compilers it is, the C++ one (cxx) or the C one (cc). */
export function describeCompilerProblem(e: unknown, root: string, key: 'cxx' | 'cc' = 'cxx'): CompilerProblem | null {
  if (!(e instanceof CompilerNotFoundError) && !(e instanceof CompilerProbeError)) return null;
  if (e instanceof CompilerProbeError && e.timedOut) {
    return {
      diagnostics: null,
      error:
        `build timed out identifying the compiler: ${e.detail}; ` +
        'raise timeout under [daemons.orchestrator] in .replibuild/daemon_config.toml if the compiler is merely that slow',
    };
  }
  const origin = compilerOrigin(root, process.env, key);
  const variable = COMPILER_ENV[key];
  const installs = key === 'cxx' ? 'g++ or clang++' : 'gcc or clang (the project has C sources)';
  const what =
    e instanceof CompilerNotFoundError ? `compiler "${e.command}" not found: ${e.detail}` : `compiler ${e.path} does not answer as a compiler: ${e.detail}`;
  switch (origin.kind) {
    case 'file': {
      const problem =
        e instanceof CompilerNotFoundError ? (e.detail === 'not on PATH' ? 'not found on PATH' : e.detail) : `does not answer as a compiler: ${e.detail}`;
      const setting = `[compiler] ${key} = ${JSON.stringify(e instanceof CompilerNotFoundError ? e.command : e.path)}`;
      return {
        diagnostics: `${origin.file}:${origin.line}:${origin.column}: error: ${setting}: ${problem}\n`,
        error: `${what} (it is [compiler] ${key} in replibuild.toml, line ${origin.line}); install it, or set ${key} to the compiler's full path`,
      };
    }
    case 'env':
      return { diagnostics: null, error: `${what} (it is $${variable}); install it, set ${variable} to the compiler's full path, or set [compiler] ${key} in replibuild.toml` };
    case 'default':
      return { diagnostics: null, error: `${what} (no compiler is set, and none was found on PATH); install ${installs}, or set [compiler] ${key} in replibuild.toml` };
  }
}
