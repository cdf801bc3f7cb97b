// Cache hits are synchronous file work chained through promises: a batch of a thousand
// of them would run in one turn of the event loop, so its starts and results (corked
// until the turn ends, rpc/server.ts) would reach the orchestrator only after the last
// restore, and a `cancel` or `status` would wait as long. The orchestrator records each
// result while this daemon restores the next ones, on the other core, so every few ms a
// batch gives the event loop a turn: the socket is written, requests are read.

/** How long a batch keeps the event loop before letting it turn. */
export const SLICE_MS = 4;

export class TurnSlices {
  private turnStart: number;
  private pending: Promise<void> | null = null;

  constructor(
    private readonly sliceMs = SLICE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.turnStart = now();
  }

  /** undefined while the current slice lasts (no await needed); past it, a promise that
   *  resolves on the event loop's next turn, the same one for every caller meanwhile. */
  pause(): Promise<void> | undefined {
    if (this.pending) return this.pending;
    if (this.now() - this.turnStart < this.sliceMs) return undefined;
    this.pending = new Promise((resolve) =>
      setImmediate(() => {
        this.pending = null;
        this.turnStart = this.now();
        resolve();
      }),
    );
    return this.pending;
  }

  /** A new slice starts (a request just arrived: the loop has turned). */
  restart(): void {
    if (!this.pending) this.turnStart = this.now();
  }
}
