// Background work that waits for the daemon to be idle. A cache cleanup walks the
// whole index; run during a big build it adds its own memory to the build's, at the
// build's peak, and competes with it for the disk and the thread pool. So it runs
// every so often, but only once no work has been seen for a quiet while, and is put
// off (not skipped) while work goes on.

export interface IdleScheduleOptions {
  /** The first run, no sooner than this after start(). */
  firstMs: number;
  /** Later runs, no sooner than this after the previous one ended. */
  everyMs: number;
  /** A run waits until no work has been seen for this long. */
  quietMs: number;
  /** When work was last seen (Date.now() units): now, while work is going on. */
  lastActivityMs: () => number;
  /** Clock, for tests. */
  now?: () => number;
}

export class IdleSchedule {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  runs = 0;

  constructor(
    private readonly task: () => Promise<void>,
    private readonly o: IdleScheduleOptions,
  ) {}

  start(): void {
    this.stopped = false;
    this.at(this.o.firstMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private at(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.due(), Math.max(0, ms));
    // Never the reason a daemon stays up.
    this.timer.unref();
  }

  private async due(): Promise<void> {
    this.timer = null;
    const now = (this.o.now ?? Date.now)();
    const quietFor = now - this.o.lastActivityMs();
    if (quietFor < this.o.quietMs) {
      this.at(this.o.quietMs - quietFor);
      return;
    }
    try {
      this.runs++;
      await this.task();
    } finally {
      this.at(this.o.everyMs);
    }
  }
}
