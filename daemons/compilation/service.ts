// Compilation: the compiler's identity, the compile cache, the job queue
// (parallel_jobs, one compile per object at a time) and the compilers it runs.
// The same class serves the daemon and in-process builds.
import type { CompilationApi, CompileJob, CompileResult, CompilerIdentity, IdentityRequest } from '../../protocol/build.js';
import type { ChildTracker } from '../host/child-tracker.js';
import type { CompileCache } from '../../cache/cached-compile.js';
import { remoteReport } from '../../cache/stats.js';
import { CompileQueue, resolveParallelJobs, type CompileFn } from './compile-queue.js';
import { displayCompileCommand, runCompile, type RunCompileOptions, type RunnerIdentity } from '../../toolchain/compile-runner.js';
import { getCompilerIdentity } from '../../toolchain/compiler-identity.js';

export interface CompilationServiceOptions {
  parallelJobs: number;
  /** Records spawned compilers, so they can be reaped if the daemon is killed. */
  children?: ChildTracker;
  /** Serve and store objects through the cache; absent: always compile. */
  cache?: CompileCache;
  /** Where compiler identities are kept between processes (toolchain/identity-store.ts). */
  identityStore?: string;
}

export class CompilationService implements CompilationApi {
  private readonly queue: CompileQueue;
  private compiledMs = 0;
  private readonly counts = { hits: 0, misses: 0, uncacheable: 0 };

  constructor(private readonly opts: CompilationServiceOptions) {
    this.queue = new CompileQueue({ parallel_jobs: opts.parallelJobs });
  }

  identity(compiler: string, cwd: string, opts: IdentityRequest = {}): Promise<CompilerIdentity> {
    return getCompilerIdentity(compiler, { cwd, ...opts, ...(this.opts.identityStore ? { store: this.opts.identityStore } : {}) });
  }

  /** runCompile with every compiler process it starts on record. */
  private readonly tracked = (job: CompileJob, identity: RunnerIdentity, o: RunCompileOptions = {}): Promise<CompileResult> => {
    const children = this.opts.children;
    return runCompile(job, identity, {
      ...o,
      onSpawn: (pid) => {
        children?.add(pid, displayCompileCommand(job));
        o.onSpawn?.(pid);
      },
      onExit: (pid) => {
        children?.remove(pid);
        o.onExit?.(pid);
      },
    });
  };

  async compile(job: CompileJob, signal?: AbortSignal): Promise<CompileResult> {
    const identity = await this.identity(job.compiler, job.cwd);
    const cache = this.opts.cache;
    const fn: CompileFn = cache
      ? (j, sig) => cache.compile(j, identity, this.tracked, { signal: sig })
      : (j, sig) => this.tracked(j, identity, { signal: sig });
    const res = await this.queue.run(job, fn, { signal });
    this.compiledMs += res.duration_ms;
    if (res.outcome === 'cached') this.counts.hits++;
    else if (res.uncacheable_reason) this.counts.uncacheable++;
    else if (res.outcome === 'compiled') this.counts.misses++;
    return res;
  }

  async cancel(build_id: string): Promise<number> {
    return this.queue.cancel(build_id);
  }

  async concurrency(): Promise<number> {
    return this.queue.concurrency;
  }

  /** Write out the cache counters now (for `replibuild cache stats`). */
  async flushCacheStats(): Promise<void> {
    await this.opts.cache?.flush();
  }

  setParallelJobs(n: number): void {
    this.queue.setParallelJobs(resolveParallelJobs(n));
  }

  /** Stop everything (daemon shutdown): queued jobs dropped, running compilers killed, counts saved. */
  async close(): Promise<void> {
    this.queue.cancelAll();
    await this.opts.cache?.flush().catch(() => undefined);
  }

  status(): Record<string, unknown> {
    const s = this.queue.stats();
    const looked = this.counts.hits + this.counts.misses;
    return {
      parallel_jobs: s.concurrency,
      jobs_running: s.running,
      jobs_queued: s.queued,
      jobs_completed: s.completed,
      jobs_failed: s.failed,
      jobs_cancelled: s.cancelled,
      cache_hits: this.counts.hits,
      cache_misses: this.counts.misses,
      cache_uncacheable: this.counts.uncacheable,
      cache_hit_rate: looked ? Math.round((this.counts.hits / looked) * 1000) / 10 : null,
      compile_seconds: Math.round(this.compiledMs / 100) / 10,
      ...remoteDetails(this.opts.cache),
    };
  }
}

/** The remote tier's state and this daemon's counts of it: `remote_cache` one line for
 *  people (the URL redacted), `remote` all figures for --json. Nothing without a remote. */
function remoteDetails(cache: CompileCache | undefined): Record<string, unknown> {
  const st = cache?.remoteStatus();
  if (!cache || !st) return {};
  const counts = remoteReport(cache.stats.remoteSession);
  const state = st.state === 'unreachable' ? `unreachable (${st.reason ?? 'unknown'})` : st.state;
  const circuit = st.circuit === 'closed' ? '' : `, circuit ${st.circuit}`;
  return {
    remote_cache:
      `${st.url} ${st.mode} ${state}${circuit}; hits ${counts.hits}, misses ${counts.misses}, errors ${counts.errors}, ` +
      `read ${counts.bytes_read} B, written ${counts.bytes_written} B, mean ${counts.mean_latency_ms} ms`,
    remote: { ...st, ...counts },
  };
}
