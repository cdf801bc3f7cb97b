// How long the rest of a build will take, for the live line: the TUs still to
// compile at their last recorded compile time (the mean of this build's compiles
// where none is recorded), those running less what they have run, spread over the
// build's slots. A guess to show that the build moves, never a promise.

export class BuildEta {
  private readonly pending = new Map<string, number | undefined>();
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
    for (const [k, v] of expected) this.pending.set(k, v);
  }

  start(object: string): void {
    this.running.set(object, { expected: this.pending.get(object), since: this.now() });
    this.pending.delete(object);
  }

  /** `compiledMs`: what a real compile took (not a cache hit, which says nothing of the others). */
  finish(object: string, compiledMs?: number): void {
    this.running.delete(object);
    this.pending.delete(object);
    if (compiledMs !== undefined) {
      this.doneMs += compiledMs;
      this.doneCount++;
    }
  }

  /** Milliseconds left, or undefined when nothing is known to guess from yet. */
  leftMs(): number | undefined {
    const mean = this.doneCount ? this.doneMs / this.doneCount : this.recordedMean;
    let work = 0;
    let longest = 0;
    for (const v of this.pending.values()) {
      const e = v ?? mean;
      if (e === undefined) return undefined;
      work += e;
    }
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
