// A build's compilers, probed, and one that cannot be used told against the setting
// that named it: the user's to fix, so a plain message (and, for replibuild.toml, a
// gcc-shaped line an editor can jump to), never an "internal error".
import { COMPILER_ENV, compilerOrigin } from '../../config/compiler-origin.js';
import { CompilerNotFoundError, CompilerProbeError } from '../../toolchain/compiler-errors.js';
import { hasCSources, type BuildCompilers } from '../../toolchain/compile-args.js';
import type { BuildEvent, CompilationApi, CompilerIdentity } from '../../protocol/build.js';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';

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

/** The identities a build compiles with (the C compiler's only when the targets have
 *  C sources: a C++ project needs none), or the error to fail with, its diagnostics sent.
 *  `timeoutS` bounds each probe as it bounds every other step; `callerSignal` (the
 *  client went away) ends the wait. */
export async function buildCompilers(
  compilation: Pick<CompilationApi, 'identity'>,
  config: ProjectConfig,
  targets: readonly ResolvedTarget[],
  onEvent: (e: BuildEvent) => void,
  timeoutS: number,
  callerSignal?: AbortSignal,
): Promise<BuildCompilers<CompilerIdentity> | { error: string }> {
  const found: Partial<BuildCompilers<CompilerIdentity>> = {};
  for (const key of hasCSources(targets) ? (['cxx', 'cc'] as const) : (['cxx'] as const)) {
    try {
      found[key] = await compilation.identity(config.compiler[key], config.root, { timeoutMs: timeoutS * 1000, signal: callerSignal });
    } catch (e) {
      const problem = describeCompilerProblem(e, config.root, key);
      if (problem?.diagnostics) onEvent({ type: 'diagnostics', source: 'replibuild.toml', text: problem.diagnostics });
      return { error: problem?.error ?? (e as Error).message };
    }
  }
  return found as BuildCompilers<CompilerIdentity>;
}
