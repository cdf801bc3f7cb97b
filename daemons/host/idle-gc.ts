// A full garbage collection once a daemon has gone quiet after work. V8 grows its
// heap during a big build (parsed depfiles, manifests, JSON of a 20,000-TU state) and
// then sits on the pages for as long as the process lives; four long-lived
// daemons per project make that the user's memory. Collecting when idle hands
// them back at a moment when the pause costs nobody anything.
//
// Two collections, not one. The first, soon after the work, frees the old
// generation. The young generation (up to 2 × 16 MB, all of it resident once a
// build has filled it) is shrunk back only by a collection that finds the
// allocation rate low over V8's last 5 s of samples (Heap::ReduceNewSpaceSize),
// and the first collection's sample still spans the build; the second, a quiet
// while later, sees only idle time and returns those pages: at 20 TUs that was
// 20–30 MB for each of the orchestrator and compilation daemons.

/** Quiet time after the last request before the first collection. */
const IDLE_MS = 2000;
/** Quiet time after the first collection before the second: past V8's 5 s window. */
const SHRINK_MS = 5500;

export class IdleCollector {
  private timer: NodeJS.Timeout | null = null;
  /** Collections the pending timer still has to run (2: it waits for the first). */
  private left = 0;
  private readonly gc: (() => void) | null;
  collections = 0;
  /** Runs once the daemon has gone quiet, just before the first collection: work that
   *  frees memory (memos a build overflowed) and must not delay a request. */
  onQuiet: (() => void) | null = null;
  /** A request still being handled (a build's compile batch, which settles only when the
   *  build ends): the daemon is not quiet, so neither the collection nor onQuiet runs. */
  busy: () => boolean = () => false;

  constructor(
    private readonly idleMs = IDLE_MS,
    /** The collector; default the global `gc` that --expose-gc gives (none: this does nothing). */
    gc?: () => void,
    private readonly shrinkMs = SHRINK_MS,
  ) {
    const g = (globalThis as { gc?: () => void }).gc;
    this.gc = gc ?? (typeof g === 'function' ? g : null);
  }

  /** Work happened: collect once it has been quiet for idleMs, and again shrinkMs later. */
  activity(): void {
    if (!this.gc) return;
    if (this.timer && this.left === 2) {
      this.timer.refresh();
      return;
    }
    this.stop();
    this.schedule(this.idleMs, 2);
  }

  private schedule(ms: number, left: number): void {
    this.left = left;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A full collection in the middle of a cold build takes a core from its compilers.
      if (this.busy()) return this.schedule(this.idleMs, 2);
      if (left === 2) this.onQuiet?.();
      this.collections++;
      this.gc!();
      if (left > 1) this.schedule(this.shrinkMs, left - 1);
    }, ms);
    // Never the reason a daemon stays up.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
