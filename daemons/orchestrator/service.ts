// Orchestrator: takes build requests, queues them, and runs each with the
// engine against whichever setup, compilation and discovery services it was
// given (daemons over RPC, or the same modules in-process). With discovery it
// plans from the change journal: a no-op build reads and hashes no source.
import { randomUUID } from 'node:crypto';
import { formatIssue } from '../../config/errors.js';
import type { BuildEvent, BuildRequest, BuildSummary, CompilationApi, CompilerIdentity, OrchestratorApi } from '../../protocol/build.js';
import type { ChangesResult, DepsEntry } from '../../protocol/discovery.js';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import type { SetupApi } from '../../protocol/setup.js';
import { BuildQueue } from './build-queue.js';
import { describeCompilerProblem } from './compiler-problem.js';
import { cleanProject, runBuild } from './build-engine.js';
import { BuildState, buildStatePath, buildStateStamp } from './build-state.js';
import { hasCSources, objectPathFor, type BuildCompilers } from '../../toolchain/compile-args.js';
import { StatCachingHasher } from './file-hasher.js';
import { stillUpToDate, unchangedPredicate, unwatchedFacts, type JournalPoint } from './journal-point.js';
import { WatchCoverage } from './watch-coverage.js';
import { CompileCommandsWriter } from './compile-commands.js';
import { COMPILE_COMMANDS_FILE } from '../../config/project-root.js';
import { selectTargets } from './planner.js';
import type { LinkCache } from '../../cache/link-cache.js';

/** What the orchestrator needs of discovery; null answers mean "no journal, look yourself". */
export interface JournalSource {
  changesSince(epoch: number, journalId: string | null, configGeneration?: number): Promise<ChangesResult | null>;
  recordDeps(entries: DepsEntry[]): Promise<void>;
}

export interface OrchestratorDeps {
  root: string;
  setup: SetupApi;
  compilation: CompilationApi;
  discovery?: JournalSource;
  /** Links served from and stored to the compile cache. */
  linkCache?: LinkCache;
}

function failed(error: string, seconds = 0): BuildSummary {
  return { ok: false, compiled: 0, cached: 0, upToDate: 0, linked: 0, failed: 0, seconds, error };
}

export class OrchestratorService implements OrchestratorApi {
  private queue: BuildQueue | null = null;
  /** Kept across builds: an unchanged file is stat'ed, not read, on the next build; and
   *  persisted, so the next process (--no-daemon, a restarted daemon) does the same. */
  private readonly hasher: StatCachingHasher;
  private state: BuildState | null = null;
  /** Stat of the state file as we last wrote or read it: another writer (--no-daemon) changes it. */
  private stateStamp: string | null = null;
  private point: JournalPoint | null = null;
  /** Whether discovery has heard every TU's headers from this process yet. */
  private depsSent = false;
  private progress: { done: number; total: number; message: string } | null = null;
  private last: { ok: boolean; seconds: number; finished: string } | null = null;
  private noopBuilds = 0;
  /** The newest setup generation seen: discovery re-derives its watch scope when it has another. */
  private configGeneration: number | undefined;
  /** Work a build leaves for after its answer (the hash cache's save, telling discovery
   *  the new deps): only speed depends on it, so the client does not wait; the next
   *  build, clean and close do. */
  private settling: Promise<void> = Promise.resolve();
  private readonly compileCommands: CompileCommandsWriter;

  constructor(private readonly deps: OrchestratorDeps) {
    this.hasher = StatCachingHasher.persistent(deps.root);
    this.compileCommands = new CompileCommandsWriter(deps.root);
  }

  /** Resolves once the last build's after-work is done. */
  settled(): Promise<void> {
    return this.settling;
  }

  async build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal?: AbortSignal): Promise<BuildSummary> {
    const snap0 = await this.deps.setup.getConfig();
    const { queue_size, timeout } = snap0.daemon.orchestrator;
    // Settings apply from the next build on; a waiting build keeps its place.
    this.queue ??= new BuildQueue({ queueSize: queue_size, timeoutS: timeout });
    this.queue.reconfigure({ queueSize: queue_size, timeoutS: timeout });
    const summary = await this.queue.submit((buildSignal, progress) => this.runOne(req, onEvent, buildSignal, progress, timeout, signal), {
      signal,
      onQueued: (position) => onEvent({ type: 'queued', position }),
    });
    this.last = { ok: summary.ok, seconds: summary.seconds, finished: new Date().toISOString() };
    return summary;
  }

  private async loadState(): Promise<BuildState> {
    const file = buildStatePath(this.deps.root);
    const stamp = buildStateStamp(file);
    if (!this.state || stamp !== this.stateStamp) {
      // First build, or someone else wrote the state: what we knew may be stale.
      this.state = await BuildState.load(this.deps.root);
      this.stateStamp = stamp;
      this.point = null;
      this.depsSent = false;
    }
    return this.state;
  }

  /** `timeoutS` bounds the compiler probe as it bounds every other step; `callerSignal`
   *  (the client went away) ends the wait for it. */
  private async runOne(
    req: BuildRequest,
    onEvent: (e: BuildEvent) => void,
    signal: AbortSignal,
    progress: () => void,
    timeoutS: number,
    callerSignal?: AbortSignal,
  ): Promise<BuildSummary> {
    await this.settling;
    const t0 = performance.now();
    const startedAt = Date.now();
    const seconds = () => (performance.now() - t0) / 1000;
    await this.hasher.load();
    // The journal is read first: whatever changes after this point is seen by the next build.
    const prev = this.point;
    const changes = this.deps.discovery
      ? await this.deps.discovery.changesSince(prev?.epoch ?? 0, prev?.journal_id ?? null, this.configGeneration)
      : null;
    const filesComeOrGo = changes !== null && (!changes.complete || changes.changes.some((c) => c.kind !== 'changed'));
    const snap = await this.deps.setup.getConfig({ rescan: filesComeOrGo });
    this.configGeneration = snap.generation;
    if (snap.issues.length || !snap.project) {
      onEvent({ type: 'diagnostics', source: 'replibuild.toml', text: snap.issues.map(formatIssue).join('\n') + '\n' });
      return failed(`the configuration is invalid (${snap.issues.length} issue(s) above); nothing was built`, seconds());
    }
    const config = snap.project;
    let selectedTargets: ResolvedTarget[];
    try {
      selectedTargets = selectTargets(config, req.targets);
    } catch (e) {
      return failed((e as Error).message, seconds());
    }
    const selected = selectedTargets.map((t) => t.name);
    const compilers = await this.compilers(config, selectedTargets, onEvent, timeoutS, callerSignal);
    if ('error' in compilers) return failed(compilers.error, seconds());
    const { cxx: identity, cc: cIdentity } = compilers;
    // Both compilers vouch for a no-op: either one replaced rebuilds its TUs.
    const compilersId = cIdentity ? `${identity.id}+${cIdentity.id}` : identity.id;
    const state = await this.loadState();
    const point = this.point; // loadState may have dropped it
    const coverage = changes?.scope ? new WatchCoverage(config.root, changes.scope) : null;

    if (
      point?.complete &&
      changes?.complete &&
      changes.journal_id === point.journal_id &&
      changes.changes.length === 0 &&
      snap.generation === point.config_generation &&
      compilersId === point.compiler_id &&
      selected.every((t) => point.targets.has(t)) &&
      coverage !== null &&
      (await stillUpToDate(point, config, selected, coverage, this.hasher))
    ) {
      this.noopBuilds++;
      const tus = config.targets.filter((t) => selected.includes(t.name)).reduce((n, t) => n + t.sources.length, 0);
      return { ok: true, compiled: 0, cached: 0, upToDate: tus, linked: 0, failed: 0, seconds: seconds() };
    }

    const unchanged = unchangedPredicate(point, changes, selected, coverage) ?? undefined;
    const forceDirty = new Map<string, string>();
    for (const s of changes?.shadowing ?? []) {
      for (const src of s.sources) forceDirty.set(src, `new header may shadow an included one: ${s.path}`);
    }

    // Past the no-op path (which vouches that the config, so every command, is the same):
    // the database follows the config before anything compiles, failed builds included.
    try {
      this.compileCommands.update(config);
    } catch (e) {
      onEvent({ type: 'message', text: `replibuild: cannot write ${COMPILE_COMMANDS_FILE}: ${(e as Error).message}; the build goes on`, warning: true });
    }

    const build_id = randomUUID();
    const onAbort = () => void this.deps.compilation.cancel(build_id).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    this.progress = { done: 0, total: 0, message: 'planning' };
    const compiledSources = new Set<string>();
    let summary: BuildSummary;
    try {
      summary = await runBuild({
        config,
        request: req,
        compile: (job, s) => this.deps.compilation.compile(job, s),
        compilerIdentity: identity,
        ...(cIdentity ? { cCompilerIdentity: cIdentity } : {}),
        hasher: this.hasher,
        signal,
        build_id,
        state,
        linkCache: this.deps.linkCache,
        unchanged,
        forceDirty,
        max_in_flight: await this.deps.compilation.concurrency(),
        onEvent: (e) => {
          this.track(e);
          if (e.type === 'tu' || e.type === 'link') progress();
          if (e.type === 'tu' && e.outcome !== 'failed') compiledSources.add(`${e.target}\0${e.source}`);
          onEvent(e);
        },
      });
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.progress = null;
      // Only speed is lost when these fail.
      this.settling = Promise.all([
        this.hasher.save().catch(() => undefined),
        changes ? this.sendDeps(config, compiledSources).catch(() => undefined) : undefined,
      ]).then(() => undefined);
    }
    this.stateStamp = buildStateStamp(buildStatePath(this.deps.root));

    if (changes) {
      const facts = coverage ? unwatchedFacts(config, selected, state, coverage, startedAt) : null;
      // A failed build keeps the epoch (files unchanged since it are still vouched
      // for) but can never be a no-op's witness.
      this.point =
        facts && coverage
          ? {
              epoch: changes.epoch,
              journal_id: changes.journal_id,
              config_generation: snap.generation,
              compiler_id: compilersId,
              scope: coverage.key,
              targets: new Set(selected),
              tu_count: summary.upToDate + summary.compiled + summary.cached,
              complete: summary.ok,
              ...facts,
            }
          : null;
    }
    return summary;
  }

  /** The identities the build compiles with (the C compiler's only when the targets have
   *  C sources: a C++ project needs none), or the error to fail with, its diagnostics sent.
   *  `timeoutS` bounds each probe as it bounds every other step; `callerSignal` (the
   *  client went away) ends the wait. */
  private async compilers(
    config: ProjectConfig,
    targets: readonly ResolvedTarget[],
    onEvent: (e: BuildEvent) => void,
    timeoutS: number,
    callerSignal?: AbortSignal,
  ): Promise<BuildCompilers<CompilerIdentity> | { error: string }> {
    const found: Partial<BuildCompilers<CompilerIdentity>> = {};
    for (const key of hasCSources(targets) ? (['cxx', 'cc'] as const) : (['cxx'] as const)) {
      try {
        found[key] = await this.deps.compilation.identity(config.compiler[key], config.root, { timeoutMs: timeoutS * 1000, signal: callerSignal });
      } catch (e) {
        const problem = describeCompilerProblem(e, config.root, key);
        if (problem?.diagnostics) onEvent({ type: 'diagnostics', source: 'replibuild.toml', text: problem.diagnostics });
        return { error: problem?.error ?? (e as Error).message };
      }
    }
    return found as BuildCompilers<CompilerIdentity>;
  }

  /** Tell discovery which headers each compiled TU read (all TUs, the first time),
   *  so it can name the sources a new shadowing header affects. */
  private async sendDeps(config: ProjectConfig, compiled: Set<string>): Promise<void> {
    if (!this.deps.discovery || !this.state) return;
    const entries: DepsEntry[] = [];
    for (const t of config.targets) {
      for (const source of t.sources) {
        if (this.depsSent && !compiled.has(`${t.name}\0${source}`)) continue;
        const rec = this.state.getObject(objectPathFor(t, source));
        if (rec) entries.push({ source, headers: rec.headers.map((h) => h.path) });
      }
    }
    if (entries.length) await this.deps.discovery.recordDeps(entries);
    this.depsSent = true;
  }

  async clean(): Promise<{ removed: string }> {
    await this.settling;
    const snap = await this.deps.setup.getConfig();
    if (!snap.project) throw new Error(`cannot clean: the configuration is invalid: ${snap.issues.map(formatIssue).join('; ')}`);
    await cleanProject(snap.project);
    this.state = null;
    this.point = null;
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
      noop_builds: this.noopBuilds,
      builds_refused: this.queue?.refused ?? 0,
      builds_timed_out: this.queue?.timedOut ?? 0,
      journal_epoch: this.point?.epoch ?? null,
      last_build: this.last ? `${this.last.ok ? 'ok' : 'failed'} in ${this.last.seconds.toFixed(1)}s at ${this.last.finished}` : null,
    };
  }
}
