// A build's compiles, handed to the compilation service in batches rather than one
// request each: every compile the engine asks for in one turn of the event loop goes
// out as one compile_batch (a cold start asks for all its TUs at once), and each
// answer comes back on its own as the job starts and finishes, so progress stays live.
//
// At most WINDOW of a build's compiles are at the compilation daemon at once; the rest
// wait here, in the order asked, and go out as answers come back. The daemon can run
// only its -j of them anyway, and every job it holds costs it a parsed job, a waiter and
// a frame: a cold build of 20,000 TUs sent whole made its peak ~2.5x its idle RSS.
import type { CompilationApi, CompileJob, CompileResult } from '../../protocol/build.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { CompileCancelledError } from '../../toolchain/compile-runner.js';
import { CompileNotStartedError } from './build-engine.js';

/** Jobs per request: keeps a 20,000-TU build's requests far below the line limit. */
const MAX_BATCH = 1000;
/** A build's first jobs go out as soon as this many are asked for, not at the end of
 *  the turn: the compilation daemon starts on them (a warm rebuild's hits) while the
 *  engine still queues the rest, on the other core, and it parses a small request
 *  before its first restore instead of the whole build's. */
const FIRST_BATCH = 16;
/** Compiles at the compilation daemon at once. Far above any -j, and a warm rebuild's
 *  hits (a few ms each) still find a full queue: more go out once half have answered. */
export const COMPILE_WINDOW = 512;

interface Asked {
  job: CompileJob;
  signal: AbortSignal;
  onStart?: (atMs: number) => void;
  resolve(r: CompileResult): void;
  reject(e: Error): void;
  settled: boolean;
}

export class CompileBatcher {
  /** Asked for, not sent yet, in the order asked. */
  private waiting: Asked[] = [];
  /** waiting[head] is the next to go (a queue without shifting 20,000 entries). */
  private head = 0;
  /** Sent and not answered yet. */
  private outstanding = 0;
  private flushQueued = false;
  private firstSent = false;
  /** After cancelQueued(): nothing more goes out. */
  private stopped = false;
  /** The signals of waiting jobs, each with its one listener. */
  private readonly watched = new Set<AbortSignal>();

  /** `parallel`: at most this many of the build's jobs run at once (0: the service's
   *  width); `stopAfterFailure`: the build has no --keep-going (CompileBatchOptions);
   *  `window`: compiles at the daemon at once (COMPILE_WINDOW). */
  constructor(
    private readonly api: Pick<CompilationApi, 'compileBatch'>,
    private readonly parallel: number,
    private readonly stopAfterFailure: boolean,
    private readonly window = COMPILE_WINDOW,
  ) {}

  /** As CompilationApi.compile, and `onStart` hears when the job really starts (the
   *  compilation daemon's clock, Date.now() just before). An aborted `signal` stops the
   *  wait; the daemon's side is the build's `cancel`. */
  readonly compile = (job: CompileJob, signal: AbortSignal, onStart?: (atMs: number) => void): Promise<CompileResult> => {
    if (signal.aborted) return Promise.reject(new CompileCancelledError(job.object));
    if (this.stopped) return Promise.reject(new CompileNotStartedError(job.object));
    return new Promise<CompileResult>((resolve, reject) => {
      this.waiting.push({ job, signal, ...(onStart ? { onStart } : {}), resolve, reject, settled: false });
      this.watch(signal);
      if (!this.firstSent && this.waiting.length - this.head === FIRST_BATCH) {
        this.firstSent = true;
        this.flush();
      }
      this.queueFlush();
    });
  };

  /** The build stopped after a failure: the compiles not sent yet are not started. */
  cancelQueued(): void {
    this.stopped = true;
    const left = this.takeWaiting(this.waiting.length);
    for (const a of left) settle(a, (x) => x.reject(new CompileNotStartedError(x.job.object)));
  }

  /** Sends what was asked in this turn, at its end. */
  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private flush(): void {
    while (!this.stopped && this.outstanding < this.window && this.head < this.waiting.length) {
      const batch = this.takeWaiting(Math.min(MAX_BATCH, this.window - this.outstanding));
      if (batch.length) this.send(batch);
    }
  }

  /** Up to `n` waiting jobs, in order; those whose signal aborted are rejected instead. */
  private takeWaiting(n: number): Asked[] {
    const out: Asked[] = [];
    while (out.length < n && this.head < this.waiting.length) {
      const a = this.waiting[this.head++]!;
      if (a.settled) continue;
      if (a.signal.aborted) settle(a, (x) => x.reject(new CompileCancelledError(x.job.object)));
      else out.push(a);
    }
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
      this.unwatchAll();
    } else if (this.head > 4096 && this.head * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
    return out;
  }

  private watch(signal: AbortSignal): void {
    if (this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener('abort', this.onWaitingAbort, { once: true });
  }

  private unwatchAll(): void {
    for (const s of this.watched) s.removeEventListener('abort', this.onWaitingAbort);
    this.watched.clear();
  }

  /** A signal aborted: its waiting jobs are cancelled now, not when they would go out. */
  private readonly onWaitingAbort = (): void => {
    for (let i = this.head; i < this.waiting.length; i++) {
      const a = this.waiting[i]!;
      if (a.signal.aborted) settle(a, (x) => x.reject(new CompileCancelledError(x.job.object)));
    }
  };

  /** One sent job answered: room for more once half the window is free. */
  private answered(): void {
    this.outstanding--;
    if (this.outstanding <= this.window / 2 && this.head < this.waiting.length) this.queueFlush();
  }

  private send(batch: Asked[]): void {
    this.outstanding += batch.length;
    const answer = (a: Asked, f: (a: Asked) => void) => {
      if (a.settled) return;
      settle(a, f);
      this.answered();
    };
    // The engine gives every job one signal: one listener per signal, not per job.
    const signals = new Set(batch.map((a) => a.signal));
    const onAbort = () => {
      for (const a of batch) if (a.signal.aborted) answer(a, (x) => x.reject(new CompileCancelledError(x.job.object)));
    };
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error) => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
      for (const a of batch) answer(a, (x) => x.reject(err ?? new Error(`the compilation service gave no answer for ${x.job.source}`)));
    };
    this.api
      .compileBatch(batch.map((a) => a.job), { parallel: this.parallel, stopAfterFailure: this.stopAfterFailure }, (e) => {
        const a = batch[e.index];
        if (!a || a.settled) return;
        if ('started' in e) a.onStart?.(e.at_ms);
        else if ('result' in e) {
          // A hit's start comes with its result (start-notices.ts), heard first as a start would be.
          if (e.at_ms !== undefined) a.onStart?.(e.at_ms);
          answer(a, (x) => x.resolve(e.result));
        }
        else if ('skipped' in e) answer(a, (x) => x.reject(new CompileNotStartedError(x.job.object)));
        else answer(a, (x) => x.reject(RpcError.from(e.error)));
      })
      .then(
        () => done(),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
  }
}

function settle(a: Asked, f: (a: Asked) => void): void {
  if (a.settled) return;
  a.settled = true;
  f(a);
}
