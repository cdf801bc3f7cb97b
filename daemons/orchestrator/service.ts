// Orchestrator: takes build requests, queues them, and runs each with the
// engine against whichever setup and compilation services it was given
// (daemons over RPC, or the same modules in-process).
import { randomUUID } from 'node:crypto';
import { formatIssue } from '../../config/errors.js';
import type { BuildEvent, BuildRequest, BuildSummary, CompilationApi, OrchestratorApi } from '../../protocol/build.js';
import type { SetupApi } from '../../protocol/setup.js';
import { BuildQueue } from './build-queue.js';
import { cleanProject, runBuild } from './build-engine.js';
import { StatCachingHasher, type FileHasher } from './file-hasher.js';

export interface OrchestratorDeps {
  root: string;
  setup: SetupApi;
  compilation: CompilationApi;
}

function failed(error: string, seconds = 0): BuildSummary {
  return { ok: false, compiled: 0, cached: 0, upToDate: 0, linked: 0, failed: 0, seconds, error };
}

export class OrchestratorService implements OrchestratorApi {
  private queue: BuildQueue | null = null;
  /** Kept across builds: an unchanged file is stat'ed, not read, on the next build. */
  private readonly hasher: FileHasher;
  private progress: { done: number; total: number; message: string } | null = null;
  private last: { ok: boolean; seconds: number; finished: string } | null = null;

  constructor(private readonly deps: OrchestratorDeps) {
    this.hasher = new StatCachingHasher(deps.root);
  }

  async build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal?: AbortSignal): Promise<BuildSummary> {
    const t0 = performance.now();
    const snap = await this.deps.setup.getConfig();
    if (snap.issues.length || !snap.project) {
      onEvent({ type: 'diagnostics', source: 'replibuild.toml', text: snap.issues.map(formatIssue).join('\n') + '\n' });
      return failed(`the configuration is invalid (${snap.issues.length} issue(s) above); nothing was built`);
    }
    const config = snap.project;
    const { queue_size, timeout } = snap.daemon.orchestrator;
    // Settings apply from the next build on; a waiting build keeps its place.
    if (!this.queue) this.queue = new BuildQueue({ queueSize: queue_size, timeoutS: timeout });
    this.queue.reconfigure({ queueSize: queue_size, timeoutS: timeout });

    return this.queue.submit(
      async (buildSignal) => {
        let identity;
        try {
          identity = await this.deps.compilation.identity(config.compiler.cxx, config.root);
        } catch (e) {
          return failed((e as Error).message, (performance.now() - t0) / 1000);
        }
        const build_id = randomUUID();
        const onAbort = () => void this.deps.compilation.cancel(build_id).catch(() => undefined);
        buildSignal.addEventListener('abort', onAbort, { once: true });
        this.progress = { done: 0, total: 0, message: 'planning' };
        try {
          return await runBuild({
            config,
            request: req,
            compile: (job, s) => this.deps.compilation.compile(job, s),
            compilerIdentity: identity,
            hasher: this.hasher,
            signal: buildSignal,
            build_id,
            max_in_flight: await this.deps.compilation.concurrency(),
            onEvent: (e) => {
              this.track(e);
              onEvent(e);
            },
          });
        } finally {
          buildSignal.removeEventListener('abort', onAbort);
          this.progress = null;
        }
      },
      { signal, onQueued: (position) => onEvent({ type: 'queued', position }) },
    ).then((s) => {
      this.last = { ok: s.ok, seconds: s.seconds, finished: new Date().toISOString() };
      return s;
    });
  }

  async clean(): Promise<{ removed: string }> {
    const snap = await this.deps.setup.getConfig();
    if (!snap.project) throw new Error(`cannot clean: the configuration is invalid: ${snap.issues.map(formatIssue).join('; ')}`);
    await cleanProject(snap.project);
    return { removed: snap.project.build_dir };
  }

  private track(e: BuildEvent): void {
    if (!this.progress) return;
    if (e.type === 'plan') this.progress = { done: 0, total: e.dirty_tus, message: `${e.dirty_tus} of ${e.total_tus} TUs to build` };
    else if (e.type === 'tu') this.progress = { done: e.done, total: e.total, message: `${e.outcome} ${e.source}` };
    else if (e.type === 'link') this.progress = { ...this.progress, message: `linked ${e.output}` };
  }

  status(): Record<string, unknown> {
    const p = this.progress;
    return {
      building: p !== null,
      progress_percent: p && p.total ? Math.round((p.done / p.total) * 100) : p ? 0 : null,
      progress_message: p?.message ?? null,
      queue_depth: this.queue?.depth ?? 0,
      builds: this.queue?.builds ?? 0,
      builds_refused: this.queue?.refused ?? 0,
      builds_timed_out: this.queue?.timedOut ?? 0,
      last_build: this.last ? `${this.last.ok ? 'ok' : 'failed'} in ${this.last.seconds.toFixed(1)}s at ${this.last.finished}` : null,
    };
  }
}
