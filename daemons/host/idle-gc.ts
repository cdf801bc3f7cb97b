// A full garbage collection once a daemon has gone quiet after work. V8 grows its
// heap during a big build (parsed depfiles, manifests, JSON of a 20,000-TU state) and
// then sits on the pages for as long as the process lives; four long-lived
// daemons per project make that the user's memory. Collecting when idle hands
// them back at a moment when the pause costs nobody anything.

/** Quiet time after the last request before collecting. */
const IDLE_MS = 2000;

export class IdleCollector {
  private timer: NodeJS.Timeout | null = null;
  private readonly gc: (() => void) | null;
  collections = 0;

  constructor(
    private readonly idleMs = IDLE_MS,
    /** The collector; default the global `gc` that --expose-gc gives (none: this does nothing). */
    gc?: () => void,
  ) {
    const g = (globalThis as { gc?: () => void }).gc;
    this.gc = gc ?? (typeof g === 'function' ? g : null);
  }

  /** Work happened: collect once it has been quiet for idleMs. */
  activity(): void {
    if (!this.gc) return;
    if (this.timer) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.collections++;
      this.gc!();
    }, this.idleMs);
    // Never the reason a daemon stays up.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
