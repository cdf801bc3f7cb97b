// Compilation: the compiler's identity, the job queue (parallel_jobs, one
// compile per object at a time) and the compilers it runs. The same class
// serves the daemon and in-process builds.
import type { CompilationApi, CompileJob, CompileResult, CompilerIdentity } from '../../protocol/build.js';
import type { ChildTracker } from '../common/child-tracker.js';
import { CompileQueue, resolveParallelJobs, type CompileFn } from './compile-queue.js';
import { displayCompileCommand, runCompile } from './compile-runner.js';
import { getCompilerIdentity } from './compiler-identity.js';

export interface CompilationServiceOptions {
  parallelJobs: number;
  /** Records spawned compilers, so they can be reaped if the daemon is killed. */
  children?: ChildTracker;
  /** Wraps the plain compile (the cache, later); default: run the compiler. */
  wrap?: (run: CompileFn, identity: CompilerIdentity) => CompileFn;
}

export class CompilationService implements CompilationApi {
  private readonly queue: CompileQueue;
  private compiledMs = 0;

  constructor(private readonly opts: CompilationServiceOptions) {
    this.queue = new CompileQueue({ parallel_jobs: opts.parallelJobs });
  }

  identity(compiler: string, cwd: string): Promise<CompilerIdentity> {
    return getCompilerIdentity(compiler, { cwd });
  }

  async compile(job: CompileJob, signal?: AbortSignal): Promise<CompileResult> {
    const identity = await this.identity(job.compiler, job.cwd);
    const children = this.opts.children;
    const plain: CompileFn = (j, sig) =>
      runCompile(j, identity, {
        signal: sig,
        onSpawn: (pid) => children?.add(pid, displayCompileCommand(j)),
        onExit: (pid) => children?.remove(pid),
      });
    const fn = this.opts.wrap ? this.opts.wrap(plain, identity) : plain;
    const res = await this.queue.run(job, fn, { signal });
    this.compiledMs += res.duration_ms;
    return res;
  }

  async cancel(build_id: string): Promise<number> {
    return this.queue.cancel(build_id);
  }

  async concurrency(): Promise<number> {
    return this.queue.concurrency;
  }

  setParallelJobs(n: number): void {
    this.queue.setParallelJobs(resolveParallelJobs(n));
  }

  /** Stop everything (daemon shutdown): queued jobs dropped, running compilers killed. */
  close(): void {
    this.queue.cancelAll();
  }

  status(): Record<string, unknown> {
    const s = this.queue.stats();
    return {
      parallel_jobs: s.concurrency,
      jobs_running: s.running,
      jobs_queued: s.queued,
      jobs_completed: s.completed,
      jobs_failed: s.failed,
      jobs_cancelled: s.cancelled,
      compile_seconds: Math.round(this.compiledMs / 100) / 10,
    };
  }
}
