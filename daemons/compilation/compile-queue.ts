// The compilation daemon's job queue: at most parallel_jobs compilers at once,
// never two compiles of the same object at once, and cancellation per build.
//
// Requests for an object already in flight with the same command share that
// compile; with a different command (a config changed between two builds) they
// wait for it and then compile, so neither ever reads the other's half output.

import { availableParallelism } from 'node:os';
import { resolveQuick } from '../../fs/resolver.js';
import PQueue from 'p-queue';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { CompileCancelledError, isCancellation } from '../../toolchain/compile-runner.js';

/** The compile itself: the runner, or the cache wrapping it. Must honour the signal. */
export type CompileFn = (job: CompileJob, signal: AbortSignal) => Promise<CompileResult>;

export interface CompileQueueOptions {
  /** 0 = one per core. */
  parallel_jobs: number;
}

export interface CompileQueueStats {
  concurrency: number;
  running: number;
  queued: number;
  completed: number;
  failed: number;
  cancelled: number;
}

interface Consumer {
  build_id?: string;
  /** Told Date.now() from just before the compile started (at once when it joins one that has). */
  onStart?: (atMs: number) => void;
  resolve(r: CompileResult): void;
  reject(e: unknown): void;
  settled: boolean;
  /** Stops listening to its caller's signal, once settled: a batch's jobs share one
   *  signal, and each listener left on it would slow every later addEventListener. */
  unlisten?: () => void;
}

interface Entry {
  key: string;
  commandKey: string;
  consumers: Set<Consumer>;
  started: boolean;
  /** Date.now() just before the compile function ran. */
  startedMs: number;
  /** Every consumer left: it is being stopped, and new requests queue behind it. */
  abandoned: boolean;
  /** Aborted while still queued: p-queue drops it without running it. */
  queuedAbort: AbortController;
  /** Aborted once running: the compile function kills the compiler. */
  runAbort: AbortController;
  /** Settles when the compile function has really finished (temp files cleaned). */
  done: Promise<void>;
}

export function resolveParallelJobs(n: number): number {
  return n > 0 ? Math.floor(n) : availableParallelism();
}

export class CompileQueue {
  private readonly queue: PQueue;
  /** Latest entry per absolute object path. */
  private readonly inflight = new Map<string, Entry>();
  private completed = 0;
  private failed = 0;
  private cancelled = 0;

  constructor(opts: CompileQueueOptions) {
    this.queue = new PQueue({ concurrency: resolveParallelJobs(opts.parallel_jobs) });
  }

  get concurrency(): number {
    return this.queue.concurrency;
  }

  /** Takes effect for jobs not yet started (a reloaded daemon_config). */
  setParallelJobs(n: number): void {
    this.queue.concurrency = resolveParallelJobs(n);
  }

  /** Compiles `job` with `fn`, sharing an identical compile of the same object already in flight.
   *  Rejects with CompileCancelledError when cancelled (by `cancel(build_id)` or `opts.signal`). */
  run(job: CompileJob, fn: CompileFn, opts: { signal?: AbortSignal; onStart?: (atMs: number) => void } = {}): Promise<CompileResult> {
    const key = resolveQuick(job.cwd, job.object);
    const commandKey = JSON.stringify([job.cwd, job.compiler, job.args, job.depfile]);
    return new Promise<CompileResult>((res, rej) => {
      const consumer: Consumer = { build_id: job.build_id, onStart: opts.onStart, resolve: res, reject: rej, settled: false };
      let entry = this.inflight.get(key);
      if (!entry || entry.abandoned || entry.commandKey !== commandKey) entry = this.start(key, commandKey, job, fn, entry);
      entry.consumers.add(consumer);
      if (entry.started) consumer.onStart?.(entry.startedMs);
      const e = entry;
      const signal = opts.signal;
      if (signal) {
        const onAbort = () => this.dropConsumer(e, consumer);
        if (signal.aborted) onAbort();
        else if (!consumer.settled) {
          signal.addEventListener('abort', onAbort, { once: true });
          consumer.unlisten = () => signal.removeEventListener('abort', onAbort);
        }
      }
    });
  }

  /** Cancels every job of `build_id`: queued ones are dropped, running ones killed
   *  (unless another build shares them); `queuedOnly`: the running ones are left to
   *  finish. Returns how many requests were cancelled. */
  cancel(build_id: string, queuedOnly = false): number {
    let n = 0;
    for (const entry of [...this.inflight.values()]) {
      if (queuedOnly && entry.started) continue;
      for (const c of [...entry.consumers]) {
        if (c.build_id === build_id && !c.settled) {
          this.dropConsumer(entry, c);
          n++;
        }
      }
    }
    return n;
  }

  /** Cancels everything (daemon shutdown). */
  cancelAll(): void {
    for (const entry of [...this.inflight.values()]) for (const c of [...entry.consumers]) this.dropConsumer(entry, c);
  }

  stats(): CompileQueueStats {
    return {
      concurrency: this.queue.concurrency,
      running: this.queue.pending,
      queued: this.queue.size,
      completed: this.completed,
      failed: this.failed,
      cancelled: this.cancelled,
    };
  }

  /** Resolves when nothing is queued or running. */
  onIdle(): Promise<void> {
    return this.queue.onIdle();
  }

  private start(key: string, commandKey: string, job: CompileJob, fn: CompileFn, previous: Entry | undefined): Entry {
    const queuedAbort = new AbortController();
    const runAbort = new AbortController();
    let markDone!: () => void;
    const entry: Entry = {
      key,
      commandKey,
      consumers: new Set(),
      started: false,
      startedMs: 0,
      abandoned: false,
      queuedAbort,
      runAbort,
      done: new Promise<void>((r) => (markDone = r)),
    };
    this.inflight.set(key, entry);

    const task = async (): Promise<CompileResult> => {
      entry.started = true;
      entry.startedMs = Date.now();
      for (const c of entry.consumers) c.onStart?.(entry.startedMs);
      if (runAbort.signal.aborted) throw new CompileCancelledError(job.object);
      return fn(job, runAbort.signal);
    };
    // A different command for the same object waits for the earlier compile to end.
    const waitFor = previous ? previous.done : Promise.resolve();
    void waitFor
      .then(() => {
        if (queuedAbort.signal.aborted) throw new CompileCancelledError(job.object);
        // Not runAbort: p-queue would free the slot while the compiler is still dying.
        return this.queue.add(task, { signal: queuedAbort.signal });
      })
      .then(
        (r) => {
          if (r.outcome === 'failed') this.failed++;
          else this.completed++;
          this.settle(entry, (c) => c.resolve(r));
        },
        (e: unknown) => {
          if (isCancellation(e) || queuedAbort.signal.aborted || runAbort.signal.aborted) {
            this.cancelled++;
            this.settle(entry, (c) => c.reject(new CompileCancelledError(job.object)));
          } else {
            this.failed++;
            this.settle(entry, (c) => c.reject(e));
          }
        },
      )
      .finally(() => {
        if (this.inflight.get(key) === entry) this.inflight.delete(key);
        markDone();
      });
    return entry;
  }

  private settle(entry: Entry, f: (c: Consumer) => void): void {
    for (const c of entry.consumers) {
      if (c.settled) continue;
      c.settled = true;
      c.unlisten?.();
      f(c);
    }
    entry.consumers.clear();
  }

  private dropConsumer(entry: Entry, c: Consumer): void {
    if (c.settled) return;
    c.unlisten?.();
    entry.consumers.delete(c);
    const stillWanted = [...entry.consumers].some((o) => !o.settled);
    if (stillWanted) {
      c.settled = true;
      c.reject(new CompileCancelledError());
      return;
    }
    // Last one out: stop the compile, and answer only once its temp files are gone.
    // It stays in `inflight` until then, so a new request for the object waits for it.
    entry.abandoned = true;
    if (entry.started) entry.runAbort.abort();
    else entry.queuedAbort.abort();
    c.settled = true;
    void entry.done.then(() => c.reject(new CompileCancelledError()));
  }
}
