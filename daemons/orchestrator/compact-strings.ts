// Compile jobs as the orchestrator's kept plan holds them across builds, their strings
// pooled and flat (daemons/common/string-pool.ts). Measured at 5,000 tiny TUs, idle after
// a build: the kept plan's args alone were 1.7 MB before.

import type { CompileJob } from '../../protocol/build.js';
import { flat, type StringPool } from '../common/string-pool.js';

/** A compile job as a plan keeps it (the last build's plan is kept for the next edit,
 *  edit-plan.ts): its flags one instance across the plan's TUs, its depfile path flat, and
 *  every field in one literal (a property added later costs each job a property array). */
export function compactJob(job: CompileJob, pool: StringPool): CompileJob {
  const source = job.source;
  const args = job.args.map((a) => (a === source ? source : pool.intern(a)));
  const cwd = pool.intern(job.cwd);
  const compiler = pool.intern(job.compiler);
  // The object path as given: compile-args.ts keeps one instance per source across plans.
  const object = job.object;
  const depfile = flat(job.depfile);
  const out: CompileJob =
    job.build_id === undefined
      ? { cwd, compiler, args, source, object, depfile }
      : { cwd, compiler, args, source, object, depfile, build_id: pool.intern(job.build_id) };
  if (job.pch !== undefined) out.pch = job.pch;
  return out;
}
