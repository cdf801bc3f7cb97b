// A build's compiles, handed to the compilation service in batches rather than one
// request each: every compile the engine asks for in one turn of the event loop goes
// out as one compile_batch (a cold start asks for all its TUs at once), and each
// answer comes back on its own as the job starts and finishes, so progress stays live.
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

interface Asked {
  job: CompileJob;
  signal: AbortSignal;
  onStart?: (atMs: number) => void;
  resolve(r: CompileResult): void;
  reject(e: Error): void;
  settled: boolean;
}

export class CompileBatcher {
  private pending: Asked[] = [];
  private firstSent = false;

  /** `parallel`: at most this many of the build's jobs run at once (0: the service's
   *  width); `stopAfterFailure`: the build has no --keep-going (CompileBatchOptions). */
  constructor(
    private readonly api: Pick<CompilationApi, 'compileBatch'>,
    private readonly parallel: number,
    private readonly stopAfterFailure: boolean,
  ) {}

  /** As CompilationApi.compile, and `onStart` hears when the job really starts (the
   *  compilation daemon's clock, Date.now() just before). An aborted `signal` stops the
   *  wait; the daemon's side is the build's `cancel`. */
  readonly compile = (job: CompileJob, signal: AbortSignal, onStart?: (atMs: number) => void): Promise<CompileResult> => {
    if (signal.aborted) return Promise.reject(new CompileCancelledError(job.object));
    return new Promise<CompileResult>((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.flush());
      this.pending.push({ job, signal, ...(onStart ? { onStart } : {}), resolve, reject, settled: false });
      if (!this.firstSent && this.pending.length === FIRST_BATCH) {
        this.firstSent = true;
        this.flush();
      }
    });
  };

  private flush(): void {
    const all = this.pending;
    this.pending = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) this.send(all.slice(i, i + MAX_BATCH));
  }

  private send(batch: Asked[]): void {
    const settle = (a: Asked, f: (a: Asked) => void) => {
      if (a.settled) return;
      a.settled = true;
      f(a);
    };
    // The engine gives every job one signal: one listener per signal, not per job.
    const signals = new Set(batch.map((a) => a.signal));
    const onAbort = () => {
      for (const a of batch) if (a.signal.aborted) settle(a, (x) => x.reject(new CompileCancelledError(x.job.object)));
    };
    for (const s of signals) s.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error) => {
      for (const s of signals) s.removeEventListener('abort', onAbort);
      for (const a of batch) settle(a, (x) => x.reject(err ?? new Error(`the compilation service gave no answer for ${x.job.source}`)));
    };
    this.api
      .compileBatch(batch.map((a) => a.job), { parallel: this.parallel, stopAfterFailure: this.stopAfterFailure }, (e) => {
        const a = batch[e.index];
        if (!a || a.settled) return;
        if ('started' in e) a.onStart?.(e.at_ms);
        else if ('result' in e) {
          // A hit's start comes with its result (start-notices.ts), heard first as a start would be.
          if (e.at_ms !== undefined) a.onStart?.(e.at_ms);
          settle(a, (x) => x.resolve(e.result));
        }
        else if ('skipped' in e) settle(a, (x) => x.reject(new CompileNotStartedError(x.job.object)));
        else settle(a, (x) => x.reject(RpcError.from(e.error)));
      })
      .then(
        () => done(),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
  }
}
