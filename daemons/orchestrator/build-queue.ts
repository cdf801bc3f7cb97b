// The orchestrator's build queue: one build runs at a time per project, the
// others wait in FIFO order; beyond queue_size a request is refused, and a build
// that goes `timeout` seconds without finishing a step (a compile or a link) is
// cancelled (its compilers killed by the engine). Counting from the last step, not
// from the start, is what lets a 20,000-TU cold build run for an hour while a hung
// compiler is still caught.
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { BuildSummary } from '../../protocol/build.js';
import { BUILD_CANCELLED } from './build-engine.js';

export interface BuildQueueOptions {
  queueSize: number;
  timeoutS: number;
}

interface Waiter {
  start(): void;
  cancelled: boolean;
}

export class QueueFullError extends RpcError {
  constructor(size: number) {
    super(
      ErrorCode.QueueFull,
      `build queue is full (${size} builds waiting): try again when the current builds finish, or raise queue_size under [daemons.orchestrator] in .replibuild/daemon_config.toml`,
    );
  }
}

export class BuildQueue {
  private running = false;
  private readonly waiting: Waiter[] = [];
  builds = 0;
  refused = 0;
  timedOut = 0;

  constructor(private opts: BuildQueueOptions) {}

  /** New settings from a reloaded config; they apply to builds submitted from now on. */
  reconfigure(opts: BuildQueueOptions): void {
    this.opts = opts;
  }

  get depth(): number {
    return this.waiting.length;
  }

  get busy(): boolean {
    return this.running;
  }

  /** Run `build` when its turn comes. `onQueued` hears the position while it waits.
   *  The signal given to `build` aborts on timeout or when `signal` (the caller) aborts;
   *  `build` calls `progress` after each step it finishes, which restarts the timeout. */
  async submit(
    build: (signal: AbortSignal, progress: () => void) => Promise<BuildSummary>,
    opts: { signal?: AbortSignal; onQueued?(position: number): void } = {},
  ): Promise<BuildSummary> {
    // `running` passes from one build straight to the next waiter (see release),
    // so a request arriving in between cannot jump the queue.
    if (this.running) {
      if (this.waiting.length >= this.opts.queueSize) {
        this.refused++;
        throw new QueueFullError(this.waiting.length);
      }
      await new Promise<void>((resolve, reject) => {
        const w: Waiter = { start: resolve, cancelled: false };
        this.waiting.push(w);
        opts.onQueued?.(this.waiting.length);
        opts.signal?.addEventListener(
          'abort',
          () => {
            w.cancelled = true;
            const i = this.waiting.indexOf(w);
            if (i >= 0) this.waiting.splice(i, 1);
            reject(new RpcError(ErrorCode.Cancelled, 'build cancelled while queued'));
          },
          { once: true },
        );
      });
    }
    this.running = true;
    this.builds++;
    const ac = new AbortController();
    const onCallerAbort = () => ac.abort(new Error('build cancelled: the client went away'));
    opts.signal?.addEventListener('abort', onCallerAbort, { once: true });
    const timeoutS = this.opts.timeoutS;
    const timer = setTimeout(() => {
      this.timedOut++;
      ac.abort(
        new Error(
          `build timed out: no compile or link finished for ${timeoutS} s; raise timeout under [daemons.orchestrator] in .replibuild/daemon_config.toml if a single step can take that long`,
        ),
      );
    }, timeoutS * 1000);
    // refresh() re-arms the same timer: cheap enough to call after every step.
    const progress = () => void timer.refresh();
    try {
      const summary = await build(ac.signal, progress);
      // A build that says what it was stuck on keeps its own reason.
      if (ac.signal.aborted && !summary.ok && (summary.error === undefined || summary.error === BUILD_CANCELLED)) {
        summary.error = (ac.signal.reason as Error)?.message ?? summary.error;
      }
      return summary;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onCallerAbort);
      this.release();
    }
  }

  private release(): void {
    while (this.waiting.length) {
      const w = this.waiting.shift()!;
      if (!w.cancelled) {
        w.start();
        return;
      }
    }
    this.running = false;
  }
}
