// Strings as the orchestrator keeps them across builds (the kept plan, the build state,
// the hasher's memo): a 20,000-TU project keeps each of these once per TU, so their form
// is its idle heap. Two ways V8 makes them bigger than their text:
// - a concatenation (`${a}:${b}`, a + '.d') of 13 or more characters is a ConsString: a
//   32-byte node over its parts, which stay alive with it (a stat stamp is four strings);
// - every TU's compile job built its flags anew: 20,000 copies of `-fdebug-prefix-map=…`.
// Measured at 5,000 tiny TUs, idle after a build: the kept plan's args alone were 1.7 MB.

import type { CompileJob } from '../../protocol/build.js';

/** `s` as one flat string of its own, which holds no parts alive. Copies: meant for
 *  strings kept long, made once. */
export function flat(s: string): string {
  // Array.prototype.join writes a new sequential string; slice flattens its input first.
  // A single-element join would hand back `s` itself.
  return s.length < 2 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

/** One instance per distinct string, for the life of the pool (one plan): equal strings
 *  that many records hold then cost one copy. Kept strings are flat (flat()). */
export class StringPool {
  private readonly known = new Map<string, string>();

  intern(s: string): string {
    let k = this.known.get(s);
    if (k === undefined) this.known.set((k = flat(s)), k);
    return k;
  }
}

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
