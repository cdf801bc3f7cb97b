// Compilation: the compiler's identity, the compile cache, the job queue
// (parallel_jobs, one compile per object at a time) and the compilers it runs.
// The same class serves the daemon and in-process builds.
import { randomUUID } from 'node:crypto';
import type { CompilationApi, CompileBatchEvent, CompileBatchOptions, CompileJob, CompileResult, CompilerIdentity, IdentityRequest } from '../../protocol/build.js';
import { wireError } from '../../rpc/jsonrpc.js';
import type { ChildTracker } from '../host/child-tracker.js';
import type { CompileCache } from '../../cache/cached-compile.js';
import { remoteReport } from '../../cache/stats.js';
import { CompileQueue, resolveParallelJobs, type CompileFn } from './compile-queue.js';
import { displayCompileCommand, isCancellation, runCompile, type RunCompileOptions, type RunnerIdentity } from '../../toolchain/compile-runner.js';
import { getCompilerIdentity } from '../../toolchain/compiler-identity.js';
import { Distributor } from '../../toolchain/distcc/distributor.js';
import type { DistccHost } from '../../config/distcc-hosts.js';
import { distccDetails } from './distcc-status.js';
import { findOnPath } from '../../config/compiler.js';
import { BuildGates } from './build-gates.js';
import { TurnSlices } from './turn-slices.js';
import { StartNotices } from './start-notices.js';

export interface BatchRunOptions extends CompileBatchOptions {
  /** Refuses a job (the daemon's job guard): that job fails with what it throws. */
  check?: (job: CompileJob) => Promise<void>;
}

export interface CompilationServiceOptions {
  parallelJobs: number;
  /** Records spawned compilers, so they can be reaped if the daemon is killed. */
  children?: ChildTracker;
  /** Serve and store objects through the cache; absent: always compile. */
  cache?: CompileCache;
  /** Where compiler identities are kept between processes (toolchain/identity-store.ts). */
  identityStore?: string;
  /** Send cache misses to these distcc hosts (empty or absent: compile here only). */
  distcc?: DistccSettings;
}

export interface DistccSettings {
  hosts: DistccHost[];
  /** Where the host list came from ("distcc_hosts", "DISTCC_HOSTS"), for status. */
  from: string;
  /** distcc's lock and state files and the per-job logs (private). */
  dir: string;
  /** The distcc client; default "distcc" on PATH. */
  program?: string;
  /** Why the configured list is not used (a bad DISTCC_HOSTS), for status. */
  problem?: string;
  log?: (line: string) => void;
}

export class CompilationService implements CompilationApi {
  private readonly queue: CompileQueue;
  /** Each build's `parallel` bound across its batches. */
  private readonly gates = new BuildGates();
  /** Batches of hits let the event loop turn every few ms (turn-slices.ts). */
  private readonly slices = new TurnSlices();
  /** Builds whose queued jobs a failure dropped (stopAfterFailure), the latest few. */
  private readonly stoppedBuilds = new Set<string>();
  private compiledMs = 0;
  /** When the last compile ended (Date.now()), for work that waits for a quiet daemon.
   *  Start counts: a daemon is mostly started by a build whose compiles are about to come. */
  private lastCompileEndMs = Date.now();
  private readonly counts = { hits: 0, misses: 0, uncacheable: 0 };
  private localSlots: number;
  private readonly distributor: Distributor | null;
  /** What runs a compile the cache did not serve: the distributor, or the local runner. */
  private readonly runner: (job: CompileJob, identity: RunnerIdentity, o?: RunCompileOptions) => Promise<CompileResult>;

  constructor(private readonly opts: CompilationServiceOptions) {
    this.localSlots = resolveParallelJobs(opts.parallelJobs);
    const d = opts.distcc;
    this.distributor = d && d.hosts.length
      ? new Distributor({
          hosts: d.hosts,
          localSlots: () => this.localSlots,
          setup: { program: d.program ?? 'distcc', dir: d.dir },
          record: this.recorded,
          onHostEvent: (e) => opts.cache?.stats.distcc(e.host, e.ok, e.ms),
          ...(d.log ? { log: d.log } : {}),
        })
      : null;
    this.runner = this.distributor ? this.distributor.run : this.tracked;
    // Cache hits need no slot of the pool; misses wait in it for a host or a local slot.
    this.queue = new CompileQueue({ parallel_jobs: this.width() });
  }

  /** Compiles in flight: this machine's slots, plus every distcc host's limit. */
  private width(): number {
    return this.distributor ? this.distributor.width() : this.localSlots;
  }

  identity(compiler: string, cwd: string, opts: IdentityRequest = {}): Promise<CompilerIdentity> {
    return getCompilerIdentity(compiler, { cwd, ...opts, ...(this.opts.identityStore ? { store: this.opts.identityStore } : {}) });
  }

  /** `o` with every process a compile starts (a compiler, or distcc) put on record. */
  private readonly recorded = (job: CompileJob, o: RunCompileOptions = {}): RunCompileOptions => {
    const children = this.opts.children;
    return {
      ...o,
      onSpawn: (pid) => {
        children?.add(pid, displayCompileCommand(job));
        o.onSpawn?.(pid);
      },
      onExit: (pid) => {
        children?.remove(pid);
        o.onExit?.(pid);
      },
    };
  };

  /** runCompile with every compiler process it starts on record. */
  private readonly tracked = (job: CompileJob, identity: RunnerIdentity, o: RunCompileOptions = {}): Promise<CompileResult> =>
    runCompile(job, identity, this.recorded(job, o));

  /** Where each compiler command of the current build was found on PATH: looked up once
   *  per build, not per job. Each job still stats the binary it names (getCompilerIdentity),
   *  so one replaced mid-build is still seen; a new one earlier on PATH waits for the next build. */
  private readonly located = { build: '', paths: new Map<string, string>() };

  private locate(job: CompileJob): string {
    if (!job.build_id || job.compiler.includes('/')) return job.compiler;
    const l = this.located;
    if (l.build !== job.build_id) {
      l.build = job.build_id;
      l.paths.clear();
    }
    const k = `${job.cwd}\0${job.compiler}`;
    let path = l.paths.get(k);
    if (path === undefined) {
      path = findOnPath(job.compiler, { cwd: job.cwd }) ?? job.compiler;
      l.paths.set(k, path);
    }
    return path;
  }

  /** `onStart` hears Date.now() from just before the compile (or the cache lookup) started. */
  async compile(job: CompileJob, signal?: AbortSignal, onStart?: (atMs: number) => void): Promise<CompileResult> {
    const identity = await this.identity(this.locate(job), job.cwd);
    const cache = this.opts.cache;
    const fn: CompileFn = cache
      ? (j, sig) => cache.compile(j, identity, this.runner, { signal: sig })
      : (j, sig) => this.runner(j, identity, { signal: sig });
    let res: CompileResult;
    try {
      res = await this.queue.run(job, fn, { signal, onStart });
    } finally {
      this.lastCompileEndMs = Date.now();
    }
    this.compiledMs += res.duration_ms;
    if (res.outcome === 'cached') this.counts.hits++;
    else if (res.uncacheable_reason) this.counts.uncacheable++;
    else if (res.outcome === 'compiled') this.counts.misses++;
    return res;
  }

  async compileBatch(jobs: CompileJob[], opts: BatchRunOptions, on: (e: CompileBatchEvent) => void): Promise<void> {
    // Jobs without a build share the bound of this batch only.
    const ownGate = randomUUID();
    // Always a bound, the queue's width at most: a job is checked once it has a slot, just
    // before it runs, as a `compile` is, not when a long batch arrives.
    const width = this.width();
    const limit = opts.parallel > 0 ? Math.min(opts.parallel, width) : width;
    this.slices.restart();
    const starts = new StartNotices(on);
    await Promise.all(
      jobs.map(async (job, index) => {
        let release: (() => void) | undefined;
        try {
          // The slot first, taken in the jobs' order (synchronously here), so they start in it.
          release = await this.gates.acquire(job.build_id ?? ownGate, limit, opts.signal);
          await opts.check?.(job);
          const result = await this.compile(job, opts.signal, (at_ms) => starts.started(index, at_ms));
          // A compiler's exit came in through the event loop: it has turned since, and the
          // next job's slot need not wait one more turn (about 1 ms a TU of a cold build).
          if (result.outcome !== 'cached') this.slices.restart();
          // Before this job's slot is freed: no job of the build starts after the failure.
          if (opts.stopAfterFailure && result.outcome === 'failed' && job.build_id !== undefined) {
            this.stoppedBuilds.add(job.build_id);
            if (this.stoppedBuilds.size > 64) this.stoppedBuilds.delete(this.stoppedBuilds.values().next().value!);
            await this.cancel(job.build_id, true);
          }
          starts.result(index, result);
        } catch (e) {
          starts.flush(index);
          if (isCancellation(e) && job.build_id !== undefined && this.stoppedBuilds.has(job.build_id)) on({ index, skipped: true });
          else on({ index, error: wireError(e, 'compile').error.toObject() });
        } finally {
          // Still holding the slot, so no job of the build runs on in this turn meanwhile.
          const pause = this.slices.pause();
          if (pause) await pause;
          release?.();
        }
      }),
    );
  }

  async cancel(build_id: string, queuedOnly = false): Promise<number> {
    return this.gates.cancel(build_id) + this.queue.cancel(build_id, queuedOnly);
  }

  async concurrency(): Promise<number> {
    return this.queue.concurrency;
  }

  /** When compiles were last seen: now while any is queued or running. */
  lastActivityMs(): number {
    const s = this.queue.stats();
    return s.running + s.queued > 0 ? Date.now() : this.lastCompileEndMs;
  }

  /** The daemon went quiet: memos the last build overflowed are dropped (bounded-lru.ts). */
  quiet(): void {
    this.opts.cache?.trimOverflowed();
  }

  /** Write out the cache counters now (for `replibuild cache stats`). */
  async flushCacheStats(): Promise<void> {
    await this.opts.cache?.flush();
  }

  setParallelJobs(n: number): void {
    this.localSlots = resolveParallelJobs(n);
    this.queue.setParallelJobs(this.width());
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
      parallel_jobs: this.localSlots,
      // With distcc hosts: local slots plus the hosts' limits.
      ...(this.distributor ? { compile_slots: s.concurrency } : {}),
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
      ...distccDetails(this.opts.distcc, this.distributor?.figures() ?? []),
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
