// Which TUs of a kept plan read each file: an edit then looks up the few files it
// changed instead of walking every TU's header list (20,000 TUs, ~7 headers each, on
// every edit's path). Made once from the build state, the first time an edit plans from
// a plan made in full, and carried from one edit's plan to the next: each edit adds what
// the TUs it compiled read now. So it holds at least every file each TU's record names
// (a TU that no longer reads a file may stay under it: looked at for nothing, never missed).
import { resolverFrom } from '../../fs/resolver.js';
import type { BuildStateReader } from './build-state.js';
import type { TuPlan } from './planner.js';

export class EditReaders {
  /** Absolute path → indexes (into the plan's TUs) of the TUs whose source it is or which read it. */
  private readonly byPath = new Map<string, number[]>();
  /** TUs without a record when made: always looked at. */
  private readonly unrecorded: number[] = [];
  private readonly at: (p: string) => string;

  private constructor(root: string) {
    this.at = resolverFrom(root);
  }

  /** From the records of every TU of `tus`. */
  static of(root: string, tus: readonly TuPlan[], state: BuildStateReader): EditReaders {
    const r = new EditReaders(root);
    for (let i = 0; i < tus.length; i++) r.add(i, tus[i]!, state);
    return r;
  }

  /** What TU `i` reads by its record now (after it compiled). */
  add(i: number, tu: TuPlan, state: BuildStateReader): void {
    const rec = state.getObject(tu.object);
    if (!rec) {
      this.unrecorded.push(i);
      return;
    }
    this.note(tu.source, i);
    for (const h of rec.headers) this.note(h.path, i);
  }

  private note(path: string, i: number): void {
    const abs = this.at(path);
    const list = this.byPath.get(abs);
    if (!list) this.byPath.set(abs, [i]);
    // Added TU by TU: a repeat of the same TU is the last one (an edit of it, again).
    else if (list[list.length - 1] !== i) list.push(i);
  }

  /** Every TU that reads one of `paths` (absolute), or has no record. */
  readersOf(paths: Iterable<string>): Set<number> {
    const out = new Set<number>(this.unrecorded);
    for (const p of paths) for (const i of this.byPath.get(p) ?? []) out.add(i);
    return out;
  }
}
