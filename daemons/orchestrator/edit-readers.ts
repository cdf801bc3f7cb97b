// Which TUs of a kept plan read each file: an edit then looks up the few files it
// changed instead of walking every TU's header list (20,000 TUs, ~7 headers each, on
// every edit's path). Made once from the build state, the first time an edit plans from
// a plan made in full, and carried from one edit's plan to the next: each edit adds what
// the TUs it compiled read now. So it holds at least every file each TU's record names
// (a TU that no longer reads a file may stay under it: looked at for nothing, never missed).
import { resolve } from 'node:path';
import { isPlainRelative } from '../../fs/plain-path.js';
import type { BuildStateReader } from './build-state.js';
import type { TuPlan } from './planner.js';

export class EditReaders {
  /** A path (see key) → the index (into the plan's TUs) of each TU whose source it is or
   *  which reads it: one number for a file one TU reads (every source), else a list. */
  private readonly byPath = new Map<string, number | number[]>();
  /** TUs without a record when made: always looked at. */
  private readonly unrecorded: number[] = [];
  private readonly root: string;
  /** The root with its trailing '/': a relative key is what follows it. */
  private readonly under: string;

  private constructor(root: string) {
    this.root = resolve(root);
    this.under = this.root.endsWith('/') ? this.root : `${this.root}/`;
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

  /** A plain relative path as it is (the record's own string: one new string per source
   *  and header would be megabytes at 20,000 TUs), any other resolved (absolute ones are
   *  few: the headers the TUs share). */
  private key(p: string): string {
    return isPlainRelative(p) ? p : resolve(this.root, p);
  }

  private note(path: string, i: number): void {
    const k = this.key(path);
    const had = this.byPath.get(k);
    if (had === undefined) this.byPath.set(k, i);
    else if (typeof had === 'number') {
      if (had !== i) this.byPath.set(k, [had, i]);
    }
    // Added TU by TU: a repeat of the same TU is the last one (an edit of it, again).
    else if (had[had.length - 1] !== i) had.push(i);
  }

  /** Every TU that reads one of `paths` (absolute and resolved), or has no record. */
  readersOf(paths: Iterable<string>): Set<number> {
    const out = new Set<number>(this.unrecorded);
    const take = (k: string) => {
      const had = this.byPath.get(k);
      if (typeof had === 'number') out.add(had);
      else if (had) for (const i of had) out.add(i);
    };
    for (const p of paths) {
      take(p);
      if (p.startsWith(this.under) && p.length > this.under.length) take(p.slice(this.under.length));
    }
    return out;
  }
}
