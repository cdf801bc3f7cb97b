// How long the rest of a build will take, for the live line: the TUs still to
// compile at their last recorded compile time (the mean of this build's compiles
// where none is recorded), those running less what they have run, spread over the
// build's slots. A guess to show that the build moves, never a promise.

export class BuildEta {
  private readonly pending = new Map<string, number | undefined>();
  /** The pending TUs' recorded times, summed, and how many have none: kept as they
   *  change, since every start and result asks (a walk of the pending would make a
   *  20,000-TU build's estimates cost 20,000 × 40,000 steps). */
  private pendingMs = 0;
  private pendingUnknown = 0;
  private readonly running = new Map<string, { expected: number | undefined; since: number }>();
  private doneMs = 0;
  private doneCount = 0;
  private readonly recordedMean: number | undefined;

  /** `expected`: each dirty TU (by object) and its last recorded compile time, if any. */
  constructor(
    expected: ReadonlyMap<string, number | undefined>,
    private readonly slots: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    const known = [...expected.values()].filter((v): v is number => v !== undefined);
    this.recordedMean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : undefined;
    for (const [k, v] of expected) this.addPending(k, v);
  }

  private addPending(object: string, v: number | undefined): void {
    this.pending.set(object, v);
    if (v === undefined) this.pendingUnknown++;
    else this.pendingMs += v;
  }

  private dropPending(object: string): void {
    if (!this.pending.has(object)) return;
    const v = this.pending.get(object);
    this.pending.delete(object);
    if (v === undefined) this.pendingUnknown--;
    else this.pendingMs -= v;
  }

  start(object: string): void {
    this.running.set(object, { expected: this.pending.get(object), since: this.now() });
    this.dropPending(object);
  }

  /** `compiledMs`: what a real compile took (not a cache hit, which says nothing of the others). */
  finish(object: string, compiledMs?: number): void {
    this.running.delete(object);
    this.dropPending(object);
    if (compiledMs !== undefined) {
      this.doneMs += compiledMs;
      this.doneCount++;
    }
  }

  /** Milliseconds left, or undefined when nothing is known to guess from yet. */
  leftMs(): number | undefined {
    const mean = this.doneCount ? this.doneMs / this.doneCount : this.recordedMean;
    if (this.pendingUnknown > 0 && mean === undefined) return undefined;
    let work = this.pending.size === 0 ? 0 : this.pendingMs + this.pendingUnknown * (mean ?? 0);
    let longest = 0;
    const t = this.now();
    for (const r of this.running.values()) {
      const e = r.expected ?? mean;
      if (e === undefined) return undefined;
      const left = Math.max(0, e - (t - r.since));
      work += left;
      longest = Math.max(longest, left);
    }
    return Math.round(Math.max(longest, work / Math.max(1, this.slots)));
  }
}
