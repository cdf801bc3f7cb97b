// The compile commands of automatic precompiled headers (daemons/orchestrator/pch-plan.ts
// decides which): the one that makes a PCH and the change to a TU that uses it. Here,
// not in the orchestrator, because the compilation daemon's job guard derives the same
// commands to accept them.

import { posix } from 'node:path';
import type { CompileJob } from '../protocol/build.js';
import type { ProjectConfig, ResolvedTarget } from '../config/types.js';
import { sourceLanguage } from '../config/source-language.js';

export const PCH_DIR = '.pch';
/** What the users add after their own flags, before `-c`. */
export const PCH_WARNING = '-Winvalid-pch';

/** `job` compiling with `node`: its -include and -Winvalid-pch go just before `-c`. */
export function withPch(job: CompileJob, header: string, gch: string): CompileJob {
  const at = job.args.lastIndexOf('-c');
  const args = [...job.args.slice(0, at), '-include', header, PCH_WARNING, ...job.args.slice(at)];
  return { ...job, args, pch: gch };
}

/** The compile that precompiles `header` with the command of `plain` (a user's job). */
export function pchBuildJob(plain: CompileJob, header: string): CompileJob {
  const at = plain.args.lastIndexOf('-c');
  const lang = sourceLanguage(plain.source) === 'c' ? 'c-header' : 'c++-header';
  const gch = `${header}.gch`;
  const job: CompileJob = {
    cwd: plain.cwd,
    compiler: plain.compiler,
    args: [...plain.args.slice(0, at), '-x', lang, '-c', header],
    source: header,
    object: gch,
    depfile: `${header}.d`,
  };
  if (plain.build_id !== undefined) job.build_id = plain.build_id;
  return job;
}

/** The directory of a target's generated headers. */
export function pchDirOf(config: Pick<ProjectConfig, 'build_dir'>, target: string): string {
  return posix.join(config.build_dir, PCH_DIR, target);
}

/** Whether `header` is a name pch-plan.ts gives `target`'s generated headers. */
export function isPchHeaderOf(config: Pick<ProjectConfig, 'build_dir'>, target: Pick<ResolvedTarget, 'name'>, header: string): boolean {
  return header.startsWith(`${pchDirOf(config, target.name)}/`) && /^[0-9a-f]{16}\.h$/.test(header.slice(pchDirOf(config, target.name).length + 1));
}
