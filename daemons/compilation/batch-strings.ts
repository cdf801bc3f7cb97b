// A compile_batch's jobs with their repeated strings kept once. A cold build asks for
// every TU at once (1,000 jobs a request, all of a 20,000-TU build's requests in flight
// together), and each job arrives from JSON with fresh copies of the same flags, root,
// compiler and build id: measured on 20,000 tiny-TU jobs, 11 MB of heap as parsed and
// 5.5 MB with those kept once, held until each job has run.
import type { CompileJob } from '../../protocol/build.js';

/** Replaces, in place, each string of `jobs` that an earlier job of the batch also has
 *  by that job's copy (equal strings: nothing reads them as distinct objects). */
export function shareBatchStrings(jobs: CompileJob[]): void {
  const seen = new Map<string, string>();
  const one = (s: string): string => {
    const known = seen.get(s);
    if (known !== undefined) return known;
    seen.set(s, s);
    return s;
  };
  for (const job of jobs) {
    job.cwd = one(job.cwd);
    job.compiler = one(job.compiler);
    if (job.build_id !== undefined) job.build_id = one(job.build_id);
    if (job.pch !== undefined) job.pch = one(job.pch);
    for (let i = 0; i < job.args.length; i++) job.args[i] = one(job.args[i]!);
  }
}
