// A compile_batch's jobs with their repeated strings kept once. A cold build asks for
// every TU at once (1,000 jobs a request, all of a 20,000-TU build's requests in flight
// together), and each job arrives from JSON with fresh copies of the same flags, root,
// compiler and build id: measured on 20,000 tiny-TU jobs, 11 MB of heap as parsed and
// 5.5 MB with those kept once, held until each job has run.
import type { CompileJob } from '../../protocol/build.js';
import { StringPool } from '../common/string-pool.js';

/** Replaces, in place, each string of `jobs` that an earlier job of the batch also has
 *  by one shared copy (equal strings: nothing reads them as distinct objects). */
export function shareBatchStrings(jobs: CompileJob[]): void {
  const pool = new StringPool();
  for (const job of jobs) {
    job.cwd = pool.intern(job.cwd);
    job.compiler = pool.intern(job.compiler);
    if (job.build_id !== undefined) job.build_id = pool.intern(job.build_id);
    if (job.pch !== undefined) job.pch = pool.intern(job.pch);
    for (let i = 0; i < job.args.length; i++) job.args[i] = pool.intern(job.args[i]!);
  }
}
