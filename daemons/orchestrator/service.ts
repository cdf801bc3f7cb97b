// Orchestrator: takes build requests, queues them, and runs each with the
// engine against whichever setup, compilation and discovery services it was
// given (daemons over RPC, or the same modules in-process). With discovery it
// plans from the change journal: a no-op build reads and hashes no source.
import { randomUUID } from 'node:crypto';
import { formatIssue } from '../../config/errors.js';
import type { BuildEvent, BuildRequest, BuildSummary, CompilationApi, OrchestratorApi } from '../../protocol/build.js';
import type { ChangesResult, DepsEntry } from '../../protocol/discovery.js';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import type { ConfigSnapshot, SetupApi } from '../../protocol/setup.js';
import type { BuildTrace, RebuildReason } from '../../protocol/trace.js';
import { BuildQueue } from './build-queue.js';
import { BuildGate } from './build-gate.js';
import { sendDeps } from './deps-sender.js';
import { buildCompilers } from './compiler-problem.js';
import { runBuildReplanning } from './build-retry.js';
import { CompileBatcher } from './compile-batcher.js';
import { cleanProject } from './clean-project.js';
import { BuildState, buildStatePath, buildStateStamp, stateProfileOf } from './build-state.js';
import { configForProfile, UnknownProfileError } from '../../config/profiles.js';
import { StatCachingHasher } from './file-hasher.js';
import { configFacts, configStillHolds, outputsAsBuilt, pointAfterBuild, stillUpToDate, unchangedPredicate, type JournalPoint } from './journal-point.js';
import { WatchCoverage, warmSources } from './watch-coverage.js';
import { CompileCommandsWriter } from './compile-commands.js';
import { COMPILE_COMMANDS_FILE } from '../../config/project-root.js';
import { stepFreeTrace } from './build-trace.js';
import { isNewestTrace, saveTrace } from './trace-store.js';
import { selectTargets } from './planner.js';
import { keepPlan, planFromLast, prepareReaders, type KeptPlan } from './edit-plan.js';
import type { LinkCache } from '../../cache/link-cache.js';
import { nextTurn } from '../../cache/next-turn.js';
import { CompileAhead } from './compile-ahead.js';
import { isoTime } from '../common/iso-time.js';

/** What the orchestrator needs of discovery; null answers mean "no journal, look yourself". */
export interface JournalSource {
  changesSince(epoch: number, journalId: string | null, configGeneration?: number): Promise<ChangesResult | null>;
  recordDeps(entries: DepsEntry[]): Promise<void>;
  /** The journal's epoch once it has moved past `epoch`, or at `timeoutMs`; null: no discovery.
   *  Absent: nothing is compiled ahead (compile-ahead.ts). */
  waitForChange?(epoch: number, timeoutMs: number, signal?: AbortSignal): Promise<number | null>;
}

export interface OrchestratorDeps {
  root: string;
  setup: SetupApi;
  compilation: CompilationApi;
  discovery?: JournalSource;
  /** Links served from and stored to the compile cache. */
  linkCache?: LinkCache;
}

/** What the orchestrator keeps across builds of one profile (one build dir). */
interface ProfileRun {
  state: BuildState | null;
  /** The state file it was read from, and its stat as we last wrote or read it:
   *  another writer (--no-daemon) changes it. */
  stateFile: string | null;
  stateStamp: string | null;
  point: JournalPoint | null;
  /** Whether discovery has heard every TU's headers from this process yet. */
  depsSent: boolean;
  /** The last planned build's PCH verdicts (BuildSummary.pch): a no-op, which vouches
   *  that nothing changed, answers with them. */
  pch?: string;
  /** The last build's plan: an edit plans from it (edit-plan.ts). */
  kept: KeptPlan | null;
}

/** A full-plan build at least this long makes its journal point before answering (runOne). */
const POINT_BEFORE_ANSWER_S = 2;

const failed = (error: string, seconds = 0): BuildSummary => ({ ok: false, compiled: 0, cached: 0, upToDate: 0, linked: 0, failed: 0, seconds, error });

export class OrchestratorService implements OrchestratorApi {
  private queue: BuildQueue | null = null;
  /** Kept across builds: an unchanged file is stat'ed, not read, on the next build; and
   *  persisted, so the next process (--no-daemon, a restarted daemon) does the same. */
  private readonly hasher: StatCachingHasher;
  /** By profile name. A build's journal point holds only with the state it was made with. */
  private readonly runs = new Map<string, ProfileRun>();
  /** The run of the build in progress or the last one: what status reports. */
  private lastRun: ProfileRun | null = null;
  private progress: { done: number; total: number; message: string } | null = null;
  private last: { ok: boolean; seconds: number; finished: string; pch?: string } | null = null;
  private noopBuilds = 0;
  /** The trace the last no-op wrote, and what it says (noopTrace). */
  private lastNoopTrace: { id: number; key: string } | null = null;
  /** Builds planned from the last build's plan (edit-plan.ts). */
  private editPlans = 0;
  /** Builds that ran with the config they held, not asking setup (configStillHolds). */
  private configsHeld = 0;
  /** The newest setup generation seen: discovery re-derives its watch scope when it has another. */
  private configGeneration: number | undefined;
  /** The config the last build ran with (or failed on): the queue's settings and the default profile of the
   *  next request come from it, so a build asks setup at most once, and a no-op not at all (configStillHolds). */
  private lastConfig: ConfigSnapshot | null = null;
  /** Work a build leaves for after its answer (its journal point, the hash cache's save,
   *  telling discovery the new deps): only speed depends on it, so the client does not
   *  wait; clean, close and every build but a no-op do. */
  private settling: Promise<void> = Promise.resolve();
  /** Its first part, all a no-op needs: the journal point. A no-op right after a cold
   *  build so waits for neither the save nor discovery filing every TU's headers. */
  private pointing: Promise<void> = Promise.resolve();
  /** Discovery has the last build's header lists (shadowing is named from them). */
  private depsFiled = true;
  private readonly compileCommands: CompileCommandsWriter;
  /** Held by a build while it runs: the after-work's requests to discovery wait (sendDeps). */
  private readonly gate = new BuildGate();
  /** Saved sources compiled before the build asks; null without a discovery that can tell. */
  private readonly ahead: CompileAhead | null = null;
  /** Build requests taken and not answered yet (queued, or before the queue). */
  private requests = 0;

  constructor(private readonly deps: OrchestratorDeps) {
    this.hasher = StatCachingHasher.persistent(deps.root);
    this.compileCommands = new CompileCommandsWriter(deps.root);
    const { discovery } = deps;
    if (discovery?.waitForChange) {
      const wait = discovery.waitForChange.bind(discovery);
      this.ahead = new CompileAhead({
        root: deps.root,
        changesSince: (epoch, journalId, generation) => discovery.changesSince(epoch, journalId, generation),
        waitForChange: wait,
        compilation: deps.compilation,
        hasher: this.hasher,
        busy: () => this.requests > 0,
        base: () => {
          const run = this.lastRun;
          if (!this.lastConfig?.daemon.orchestrator.compile_ahead || !run?.point || !run.kept || !run.state) return null;
          return { point: run.point, kept: run.kept, state: run.state, configGeneration: this.configGeneration };
        },
      });
    }
  }

  /** Stops compiling ahead: what runs is cancelled. */
  async close(): Promise<void> {
    await this.ahead?.close();
  }

  /** Resolves once the last build's after-work is done. */
  settled(): Promise<void> {
    return this.settling;
  }

  async build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal?: AbortSignal): Promise<BuildSummary> {
    this.requests++;
    try {
      return await this.buildQueued(req, onEvent, signal);
    } finally {
      this.requests--;
    }
  }

  private async buildQueued(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal?: AbortSignal): Promise<BuildSummary> {
    const snap0 = this.lastConfig ?? (this.lastConfig = await this.deps.setup.getConfig());
    const { queue_size, timeout } = snap0.daemon.orchestrator;
    // Settings apply from the next build on; a waiting build keeps its place.
    this.queue ??= new BuildQueue({ queueSize: queue_size, timeoutS: timeout });
    this.queue.reconfigure({ queueSize: queue_size, timeoutS: timeout });
    // The run is picked by the profile as the config names it now; the state file is
    // checked against the config the build then reads (loadState).
    const run = this.runOf(req.profile || snap0.project?.default_profile || '');
    const summary = await this.queue.submit((buildSignal, progress) => {
      const release = this.gate.hold(); // the after-work waits for this build (BuildGate)
      return this.runOne(run, req, onEvent, buildSignal, progress, timeout, signal, release).finally(release);
    }, {
      signal,
      onQueued: (position) => onEvent({ type: 'queued', position }),
    });
    this.last = { ok: summary.ok, seconds: summary.seconds, finished: isoTime(), ...(summary.pch ? { pch: summary.pch } : {}) };
    if (summary.trace === undefined && !summary.ok) {
      // Stopped before planning (a bad config, no compiler, an unknown target): `why`
      // and `report` say so, rather than show an older build as the last one.
      const trace = this.saveTrace(stepFreeTrace({ build_dir: snap0.project?.build_dir ?? '', targets: req.targets, tus: 0, summary }));
      if (trace !== undefined) return { ...summary, trace };
    }
    return summary;
  }

  /** The trace's id, or undefined when it cannot be written: only `why` and `report`
   *  lose the build, which says nothing more. */
  private saveTrace(trace: BuildTrace): number | undefined {
    try {
      return saveTrace(this.deps.root, trace);
    } catch {
      return undefined;
    }
  }

  /** A no-op's trace. No-ops in a row are one trace, the first's: while the last one this
   *  daemon wrote is still the newest and says the same, it is the answer again, and the
   *  no-op writes nothing (`why` says "no-op since"). */
  private noopTrace(build_dir: string, targets: string[], tus: number, summary: BuildSummary): number | undefined {
    const key = JSON.stringify([build_dir, targets, tus]);
    const last = this.lastNoopTrace;
    if (last?.key === key && isNewestTrace(this.deps.root, last.id)) return last.id;
    const id = this.saveTrace(stepFreeTrace({ build_dir, targets, tus, summary, noop: true }));
    this.lastNoopTrace = id === undefined ? null : { id, key };
    return id;
  }

  private runOf(profile: string): ProfileRun {
    let run = this.runs.get(profile);
    if (!run) this.runs.set(profile, (run = { state: null, stateFile: null, stateStamp: null, point: null, depsSent: false, kept: null }));
    return run;
  }

  private async loadState(run: ProfileRun, config: ProjectConfig): Promise<BuildState> {
    const profile = stateProfileOf(config);
    const file = buildStatePath(this.deps.root, profile);
    const stamp = buildStateStamp(file);
    if (!run.state || file !== run.stateFile || stamp !== run.stateStamp) {
      // First build, or someone else wrote the state: what we knew may be stale.
      run.state = await BuildState.load(this.deps.root, profile);
      run.stateFile = file;
      run.stateStamp = stamp;
      run.point = null;
      run.depsSent = false;
    }
    return run.state;
  }

  /** `timeoutS` bounds the compiler probe as it bounds every other step; `callerSignal`
   *  (the client went away) ends the wait for it. */
  private async runOne(
    run: ProfileRun,
    req: BuildRequest,
    onEvent: (e: BuildEvent) => void,
    signal: AbortSignal,
    progress: () => void,
    timeoutS: number,
    callerSignal: AbortSignal | undefined,
    /** Releases the after-work (BuildGate): before this build waits for it, and at its end. */
    release: () => void,
  ): Promise<BuildSummary> {
    await this.pointing;
    const t0 = performance.now();
    const startedAt = Date.now();
    const seconds = () => (performance.now() - t0) / 1000;
    await this.hasher.load();
    // The journal is read first: whatever changes after this point is seen by the next build.
    this.lastRun = run;
    const prev = run.point;
    const ask = () => this.deps.discovery?.changesSince(prev?.epoch ?? 0, prev?.journal_id ?? null, this.configGeneration) ?? null;
    const filed = this.depsFiled;
    let changes = await ask();
    // Not a no-op, asked while the last build's header lists were on their way: asked
    // again once discovery has them, as its shadowing may lack sources.
    if (!filed && !(changes?.complete && changes.changes.length === 0)) {
      release();
      changes = await this.settling.then(ask);
    }
    const filesComeOrGo = changes !== null && (!changes.complete || changes.changes.some((c) => c.kind !== 'changed'));
    const coverage = changes?.scope ? new WatchCoverage(this.deps.root, changes.scope) : null;
    const held = configStillHolds(prev, changes, coverage);
    if (held) this.configsHeld++;
    const snap = held ?? (await this.deps.setup.getConfig({ rescan: filesComeOrGo }));
    this.lastConfig = snap;
    this.configGeneration = snap.generation;
    if (snap.issues.length || !snap.project) {
      onEvent({ type: 'diagnostics', source: 'replibuild.toml', text: snap.issues.map(formatIssue).join('\n') + '\n' });
      return failed(`the configuration is invalid (${snap.issues.length} issue(s) above); nothing was built`, seconds());
    }
    let config: ProjectConfig;
    try {
      config = configForProfile(snap.project, req.profile);
    } catch (e) {
      if (e instanceof UnknownProfileError) return failed(e.message, seconds());
      throw e;
    }
    let selectedTargets: ResolvedTarget[];
    try {
      selectedTargets = selectTargets(config, req.targets);
    } catch (e) {
      return failed((e as Error).message, seconds());
    }
    const selected = selectedTargets.map((t) => t.name);
    const compilers = await buildCompilers(this.deps.compilation, config, selectedTargets, onEvent, timeoutS, callerSignal);
    if ('error' in compilers) return failed(compilers.error, seconds());
    const { cxx: identity, cc: cIdentity } = compilers;
    // Both compilers vouch for a no-op: either one replaced rebuilds its TUs.
    const compilersId = cIdentity ? `${identity.id}+${cIdentity.id}` : identity.id;
    const state = await this.loadState(run, config);
    const point = run.point; // loadState may have dropped it

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
      // Setup was asked (the point's stamps were racy, say) and answered the same config:
      // stamped again now, the next no-op need not ask. Whether setup was asked, not
      // whether its answer is another object: a setup client hands back the snapshot it
      // holds when the config is unchanged, and racy stamps would then stay for good.
      if (held === null) point.config = configFacts(snap, coverage, startedAt);
      const tus = config.targets.filter((t) => selected.includes(t.name)).reduce((n, t) => n + t.sources.length, 0);
      const noop: BuildSummary = { ok: true, compiled: 0, cached: 0, upToDate: tus, linked: 0, failed: 0, seconds: seconds(), ...(run.pch ? { pch: run.pch } : {}) };
      const trace = this.noopTrace(config.build_dir, req.targets, tus, noop);
      return trace === undefined ? noop : { ...noop, trace };
    }

    // The last build's after-work, all of it, before this one's: it reads the state and
    // the hash cache this build changes, and this build's own follows it.
    release();
    await this.settling;
    const unchanged = unchangedPredicate(point, changes, selected, coverage) ?? undefined;
    const forceDirty = new Map<string, RebuildReason>();
    for (const s of changes?.shadowing ?? []) {
      for (const src of s.sources) forceDirty.set(src, { kind: 'header-shadowed', header: s.path });
    }

    // Past the no-op path (which vouches that the config, so every command, is the same):
    // the database follows the config before anything compiles, failed builds included.
    // It holds the default profile's commands whichever profile builds, so that switching
    // profiles does not rewrite it (and send an editor reindexing) each time.
    try {
      this.compileCommands.update(configForProfile(snap.project));
    } catch (e) {
      onEvent({ type: 'message', text: `replibuild: cannot write ${COMPILE_COMMANDS_FILE}: ${(e as Error).message}; the build goes on`, warning: true });
    }

    // Asked only when the request leaves -j to the daemon, while the build plans (not on an
    // edit's path after it); the side catch: a failure nobody awaits yet is not unhandled.
    const inFlight = req.jobs > 0 ? null : this.deps.compilation.concurrency();
    inFlight?.catch(() => undefined);

    const build_id = randomUUID();
    const onAbort = () => void this.deps.compilation.cancel(build_id).catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    this.progress = { done: 0, total: 0, message: 'planning' };
    const compiledSources = new Set<string>();
    const plan = await planFromLast({
      kept: run.kept,
      point,
      changes,
      coverage,
      config,
      configGeneration: snap.generation,
      targets: req.targets,
      selected,
      compilersId,
      state,
      hasher: this.hasher,
      forceDirty,
      build_id,
    }).catch(() => null); // only speed is lost: the engine plans in full
    if (plan) this.editPlans++;
    run.kept = null;
    // Planned while a compile ahead may still run (its object is renamed into place whole);
    // what it compiles, this build may take, and nothing compiles before it has finished.
    const adopt = await this.ahead?.adopter(changes);
    let summary: BuildSummary | undefined;
    let stopWarming: (() => void) | undefined;
    try {
      summary = await runBuildReplanning({
        config,
        request: req,
        // One request per batch of ready TUs, not one per TU; the build's -j bounds them there.
        compile: new CompileBatcher(this.deps.compilation, req.jobs, !req.keep_going).compile,
        handOff: { cancelQueued: () => void this.deps.compilation.cancel(build_id, true).catch(() => undefined) },
        compilerIdentity: identity,
        ...(cIdentity ? { cCompilerIdentity: cIdentity } : {}),
        hasher: this.hasher,
        signal,
        build_id,
        state,
        linkCache: this.deps.linkCache,
        unchanged,
        forceDirty,
        ...(plan ? { plan } : {}),
        ...(adopt ? { adopt } : {}),
        onPlan: (p) => (run.kept = keepPlan(p, config, JSON.stringify(req.targets), compilersId, build_id)).plan,
        ...(inFlight ? { max_in_flight: await inFlight } : {}),
        onEvent: (e) => {
          this.track(e);
          // Planned in full: what the point will ask about every source, asked meanwhile.
          if (e.type === 'plan' && e.dirty_tus > 0 && coverage && changes && !unchanged) stopWarming ??= warmSources(coverage, config.targets, selected);
          if (e.type === 'tu' || e.type === 'link') progress();
          if (e.type === 'tu' && e.outcome !== 'failed') compiledSources.add(`${e.target}\0${e.source}`);
          onEvent(e);
        },
      });
    } finally {
      stopWarming?.();
      signal.removeEventListener('abort', onAbort);
      this.progress = null;
      // Started once the answer is on its way: the point's stats and the hash cache's
      // serialization (every path the daemon knows) would otherwise run before it.
      const answered = nextTurn();
      const built = summary;
      // The point's stamps are judged against when this build began, so a directory
      // changed meanwhile is racy, as it would have been had it been stat'ed before.
      if (changes) run.point = null;
      this.pointing =
        changes && built
          ? answered.then(async () => {
              try {
                // Another writer's state since (loadState dropped what this build knew): no point.
                const point = run.state === state ? pointAfterBuild({ changes, snap, config, selected, state, coverage, compilersId, summary: built, startedAt }) : null;
                run.point = point && (await outputsAsBuilt(point, state, this.hasher)) ? point : null;
                if (run.point) this.ahead?.follow(run.point.epoch);
              } catch {
                run.point = null; // only speed is lost: the next build plans in full
              }
            })
          : answered;
      // Only speed is lost when these fail.
      this.depsFiled = !changes;
      this.settling = this.pointing.then(() =>
        Promise.all([
          this.hasher.save().catch(() => undefined),
          changes ? this.sendDeps(run, config, compiledSources).catch(() => undefined) : undefined,
        ]).then(() => {
          this.depsFiled = true;
          if (run.point?.complete && run.kept) prepareReaders(run.kept.plan, this.deps.root, state); // the next edit's
        }),
      );
    }
    run.stateStamp = buildStateStamp(run.stateFile!);
    run.pch = summary.pch;
    // Planned in full (warmed) and long: its point is made before the answer, which the
    // build's minutes hide, not after it, where the no-op that follows would wait for it.
    // Not a short one: a warm clean rebuild's point hashes every output it restored.
    if (stopWarming && seconds() >= POINT_BEFORE_ANSWER_S) await this.pointing;
    return summary;
  }

  /** Tell discovery which headers each compiled TU read (all TUs, the first time). */
  private async sendDeps(run: ProfileRun, config: ProjectConfig, compiled: Set<string>): Promise<void> {
    if (!this.deps.discovery || !run.state) return;
    await sendDeps(this.deps.discovery, run.state, config, run.depsSent ? compiled : null, this.gate);
    run.depsSent = true;
  }

  async clean(profile = ''): Promise<{ removed: string }> {
    this.requests++; // no compile ahead writes into what this removes
    try {
      await this.ahead?.settled();
      return await this.cleanProfile(profile);
    } finally {
      this.requests--;
    }
  }

  private async cleanProfile(profile: string): Promise<{ removed: string }> {
    await this.settling;
    const snap = await this.deps.setup.getConfig();
    if (!snap.project) throw new Error(`cannot clean: the configuration is invalid: ${snap.issues.map(formatIssue).join('; ')}`);
    const config = configForProfile(snap.project, profile);
    await cleanProject(config);
    // Every run of that build dir (a profile named outright or as the default) starts over.
    const file = buildStatePath(this.deps.root, stateProfileOf(config));
    for (const run of this.runs.values()) {
      if (run.stateFile !== file) continue;
      run.state = null;
      run.point = null;
    }
    return { removed: config.build_dir };
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
      edit_plans: this.editPlans,
      configs_held: this.configsHeld,
      compile_ahead: this.ahead?.report() ?? null,
      builds_refused: this.queue?.refused ?? 0,
      builds_timed_out: this.queue?.timedOut ?? 0,
      journal_epoch: this.lastRun?.point?.epoch ?? null,
      last_build: this.last ? `${this.last.ok ? 'ok' : 'failed'} in ${this.last.seconds.toFixed(1)}s at ${this.last.finished}` : null,
      // The last build's precompiled headers: which targets use one, and what it saved.
      precompiled_headers: this.last?.pch ?? null,
    };
  }
}
