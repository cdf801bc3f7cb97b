// One build, start to end: plan, compile what is dirty, record each success at
// once (a failed or killed build keeps its good work), link in dependency order,
// report. The same engine runs in the orchestrator daemon and in --no-daemon;
// only `compile` differs (the compilation daemon's queue, or a local one).

import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import PQueue from 'p-queue';
import { sweepStaleTemps } from '../../fs/atomic-write.js';
import type { BuildEvent, BuildSummary, CompileResult } from '../../protocol/build.js';
import type { ResolvedTarget } from '../../config/types.js';
import { displayCompileCommand, isCancellation } from '../../toolchain/compile-runner.js';
import { BuildState, stateProfileOf, type FileHashRecord } from './build-state.js';
import { StatCachingHasher } from './file-hasher.js';
import { objectRecorder } from './object-records.js';
import { OutputHashes } from './output-hashes.js';
import { ShadowRecorder } from './include-search.js';
import { linkTarget } from './linker.js';
import { linkReason, planBuild, UnknownTargetError, type TuPlan } from './planner.js';
import { planPchsOrNone } from './pch-plan.js';
import { linkInputHashes } from './edit-plan.js';
import { keepTimes, PchSteps } from './pch-steps.js';
import { pchSummary } from './pch-payoff.js';
import { linkCommandFor } from '../../toolchain/compile-args.js';
import { BuildEta } from './build-eta.js';
import { longestWorkFirst } from './compile-order.js';
import { TraceRecorder, type Slot } from './build-trace.js';
import { JobRoom } from './job-room.js';
import { startWindowed } from './start-window.js';
import { saveTrace } from './trace-store.js';
import { failure, failureMessage } from './build-failure.js';
import { StalePlanError } from './stale-plan.js';
import { allFilesPresent } from '../../fs/present-files.js';

import type { RunBuildOptions } from './build-options.js';
export type { CompileFunction, RunBuildOptions } from './build-options.js';

export const BUILD_CANCELLED = 'build cancelled';

/** A handed-off compile the compile service dropped unstarted because an earlier one of
 *  the build failed (the build has no keep_going): skipped, as the engine skips the work
 *  it has not started after a failure. */
export class CompileNotStartedError extends Error {
  constructor(object: string) {
    super(`${object}: not started, an earlier compile of the build failed`);
    this.name = 'CompileNotStartedError';
  }
}

/** Records are written to disk at most this often during a build, and at its end;
 *  less often when a save is slow (a big project): saving takes at most 1/SAVE_SHARE of the time. */
const SAVE_INTERVAL_MS = 1000;
const SAVE_SHARE = 20;

export async function runBuild(opts: RunBuildOptions): Promise<BuildSummary> {
  const started = performance.now();
  const { config, request } = opts;
  const root = config.root;
  const build_id = opts.build_id ?? randomUUID();
  const ownHasher = opts.hasher ? null : StatCachingHasher.persistent(root);
  const hasher = opts.hasher ?? ownHasher!;
  const counters = hasher instanceof StatCachingHasher ? hasher.counters : null;
  const countersAtStart = counters ? { ...counters } : null;
  const emit = (e: BuildEvent) => {
    try {
      opts.onEvent?.(e);
    } catch {
      // A broken listener must not break the build.
    }
  };
  const counts = { compiled: 0, cached: 0, upToDate: 0, linked: 0, failed: 0 };
  const summary = (error?: string): BuildSummary => {
    const s: BuildSummary = { ok: error === undefined, ...counts, seconds: (performance.now() - started) / 1000 };
    if (error !== undefined) s.error = error;
    return s;
  };
  if (opts.signal?.aborted) return summary(BUILD_CANCELLED);

  const state = opts.state ?? (await BuildState.load(root, stateProfileOf(config)));
  await ownHasher?.load();
  const compilers = { cxx: opts.compilerIdentity, ...(opts.cCompilerIdentity ? { cc: opts.cCompilerIdentity } : {}) };
  const shadow = new ShadowRecorder({ root, compilers, store: state });
  let plan = opts.plan;
  if (!plan) {
    try {
      const pch = await planPchsOrNone({ config, targets: request.targets, compilers, store: state }, (text) => emit({ type: 'message', text, warning: true }));
      plan = await planBuild({
        pch,
        config,
        targets: request.targets,
        state,
        compiler: opts.compilerIdentity,
        ...(opts.cCompilerIdentity ? { cCompiler: opts.cCompilerIdentity } : {}),
        hasher,
        build_id,
        unchanged: opts.unchanged,
        forceDirty: opts.forceDirty,
      });
    } catch (e) {
      if (e instanceof UnknownTargetError) return summary(e.message);
      throw e;
    }
  }
  plan = opts.onPlan?.(plan) ?? plan;
  counts.upToDate = plan.tus.length - plan.dirty_tus;
  emit({ type: 'plan', total_tus: plan.tus.length, dirty_tus: plan.dirty_tus, links: plan.relinks });

  const abort = new AbortController();
  // Every compile in flight listens on this one signal (hundreds at once in a big
  // build): that is by design, not a leak, so lift Node's warning threshold.
  setMaxListeners(0, abort.signal);
  const onOuterAbort = () => abort.abort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  if (opts.signal?.aborted) abort.abort(); // aborted while planning
  const limit = request.jobs > 0 ? request.jobs : (opts.max_in_flight ?? availableParallelism());
  // Compiles and links in flight; links (priority 1) go before queued compiles.
  const slots = new PQueue({ concurrency: Math.max(1, limit) });
  const trace = new TraceRecorder({ build_id, build_dir: config.build_dir, targets: request.targets, jobs: Math.max(1, limit), t0: started });
  trace.planned(plan);
  let stopped = false; // no new work after a failure, unless keep_going
  const failedSources: string[] = [];
  const failedLinks: string[] = [];
  const noteFailure = () => {
    if (request.keep_going || stopped) return;
    stopped = true;
    opts.handOff?.cancelQueued();
  };
  let skipped = 0; // work not started because of `stopped`
  let stale = false; // a plan from the last build met an object deleted since (linkStep)
  const mayStart = () => {
    if (abort.signal.aborted) return false;
    if (stopped) skipped++;
    return !stopped;
  };

  let saveTimer: NodeJS.Timeout | undefined;
  let saving: Promise<void> = Promise.resolve();
  let lastSaveMs = 0;
  const scheduleSave = () => {
    if (saveTimer) return;
    saveTimer = setTimeout(
      () => {
        saveTimer = undefined;
        saving = saving
          .then(async () => {
            const t = performance.now();
            await state.save();
            lastSaveMs = performance.now() - t;
          })
          .catch(() => undefined);
      },
      Math.max(SAVE_INTERVAL_MS, lastSaveMs * SAVE_SHARE),
    );
    saveTimer.unref();
  };

  let done = 0;
  const total = plan.dirty_tus;
  const eta = new BuildEta(new Map(plan.tus.filter((u) => u.dirty).map((u) => [u.object, state.getObject(u.object)?.compile_ms])), limit);
  const withEta = <E extends BuildEvent>(e: E): E => {
    const left = eta.leftMs();
    return left === undefined ? e : { ...e, left_ms: left };
  };
  /** Objects and outputs a compiler or linker made in this build, not the cache. */
  const fresh = new Set<string>();
  /** Those and what the cache restored in this build: every file this build wrote. */
  const written = new Set<string>();
  /** What the compile cache asked to tell the user, each shown once per build. */
  const cacheNotes = new Set<string>();

  // Objects and linked outputs, each read once in this build: by its record, its link's
  // inputs and the link cache's key.
  const outputs = new OutputHashes(root, hasher);
  const { hashBefore, record } = objectRecorder({ root, state, hasher, outputs, shadow });

  const pchSteps = new PchSteps(plan.pchs, {
    state,
    compile: (job) => opts.compile(job, abort.signal),
    inSlot: (fn) => slots.add(fn, { priority: 2 }) as Promise<Awaited<ReturnType<typeof fn>>>,
    hashBefore,
    record,
    searchOf: async (job, sinceMs) => (await shadow.describe(job, [], sinceMs)).context,
    hash: (p) => hasher.hash(p),
    saved: scheduleSave, trace,
    note: (text) => emit({ type: 'message', text: `replibuild: ${text}`, warning: true }),
    built: (p, res) => request.verbose && emit({ type: 'message', text: `${displayCompileCommand(p.job)}\nPrecompiled header ${p.source}: ${res.outcome} (${(res.duration_ms / 1000).toFixed(2)}s)` }),
  });
  const handOff = opts.handOff !== undefined;
  // A link is one of the build's -j jobs, as in make and ninja; handed off, compiles are
  // bounded at the compilation daemon, which does not see links (job-room.ts).
  const room = new JobRoom(Math.max(1, limit));
  const compileTu = async (tu: TuPlan): Promise<boolean> => {
    await pchSteps.prepare(tu);
    const r = handOff ? await room.compile(() => compileNow(tu)) : await slots.add(() => compileNow(tu));
    return typeof r === 'function' ? r() : r;
  };
  const compileNow = async (tu: TuPlan): Promise<boolean | (() => Promise<boolean>)> => {
    if (!mayStart()) {
      // Planned dirty, not compiled: its record must not vouch for the object any more
      // (the change that made it dirty may be older than what the next plan looks at).
      state.deleteObject(tu.object);
      scheduleSave();
      trace.compile(tu, null, null);
      return false;
    }
    let slot: Slot | null = null;
    let res: CompileResult;
    let before = new Map<string, string | null>();
    const prevCompileMs = state.getObject(tu.object)?.compile_ms;
    // What the compile may have read is judged from when it started: handed off, from
    // the compile service's own clock (the same machine's) once it says so.
    let sinceMs = 0;
    const began = (atMs?: number) => {
      if (slot) return;
      slot = trace.begin();
      if (atMs !== undefined) sinceMs = atMs;
      eta.start(tu.object);
      emit(withEta({ type: 'tu_start', target: tu.target, source: tu.source, done, total }));
    };
    if (!handOff) began();
    sinceMs = Date.now();
    // Compiled ahead: recorded from what that compile saw before it began, as if this build had run it then.
    const early = opts.adopt?.(tu.job);
    try {
      if (early) ({ before, sinceMs } = early);
      else before = await hashBefore(tu);
      res = await pchSteps.checked(tu, early ? early.res : await opts.compile(tu.job, abort.signal, handOff ? began : undefined));
      began();
      if (res.cache_note && !cacheNotes.has(res.cache_note)) {
        cacheNotes.add(res.cache_note);
        emit({ type: 'message', text: `replibuild: ${res.cache_note}`, warning: true });
      }
    } catch (e) {
      if (abort.signal.aborted || e instanceof CompileNotStartedError || (handOff && stopped && isCancellation(e))) {
        if (!abort.signal.aborted) {
          // Dropped unstarted after the first failure: as if never handed off (see mayStart).
          skipped++;
          state.deleteObject(tu.object);
          scheduleSave();
        }
        trace.compile(tu, slot, null);
        return false;
      }
      began();
      // Cancelled by someone else (the compilation daemon stopping, say): this build did not get its object.
      const why = isCancellation(e) ? 'the compile was cancelled' : (e as Error).message;
      res = failure(`replibuild: cannot compile ${tu.source}: ${why}\n`);
    }
    // Handed off, the daemon starts its next job as this one's result leaves it.
    if (slot) trace.release(slot);
    // A hit is recorded after its slot is free (the compilation daemon has the next TU meanwhile); a compile or failure in it.
    if (res.outcome === 'cached') trace.compile(tu, slot, res);
    return res.outcome === 'cached' ? () => finish(tu, null, res, before, sinceMs, prevCompileMs) : finish(tu, slot, res, before, sinceMs, prevCompileMs);
  };
  const finish = async (tu: TuPlan, slot: Slot | null, res: CompileResult, before: Map<string, string | null>, sinceMs: number, prevCompileMs?: number): Promise<boolean> => {
    if (res.outcome !== 'failed') {
      try {
        const rec = await record(tu, res, before, sinceMs);
        const compile_ms = res.outcome === 'compiled' ? res.duration_ms : prevCompileMs;
        if (rec) keepTimes(rec.rec, compile_ms, res.outcome === 'compiled' ? tu.job.pch !== undefined : null, state.getObject(tu.object));
        if (rec) {
          state.setObject(tu.object, rec.rec, rec.search);
          scheduleSave();
        } else {
          res = failure(`${res.stderr}replibuild: ${tu.object} is missing after compiling ${tu.source}\n`, res);
        }
      } catch (e) {
        res = failure(`${res.stderr}replibuild: cannot record ${tu.object}: ${(e as Error).message}\n`, res);
      }
    }
    done++;
    eta.finish(tu.object, res.outcome === 'compiled' ? res.duration_ms : undefined);
    if (slot) trace.compile(tu, slot, res);
    const ev: BuildEvent = withEta({ type: 'tu', target: tu.target, source: tu.source, outcome: res.outcome, ms: res.duration_ms, done, total });
    if (request.verbose) ev.command = displayCompileCommand(tu.job);
    if (res.compiled_on && res.outcome === 'compiled') ev.on = res.compiled_on;
    emit(ev);
    if (res.stderr) emit({ type: 'diagnostics', source: tu.source, text: res.stderr });
    if (res.outcome === 'failed') {
      counts.failed++;
      failedSources.push(tu.source);
      // The old object (if any) stays on disk, but nothing vouches for it any more.
      state.deleteObject(tu.object);
      scheduleSave();
      noteFailure();
      return false;
    }
    if (res.outcome === 'cached') counts.cached++;
    else {
      counts.compiled++;
      fresh.add(tu.object);
    }
    written.add(tu.object);
    return true;
  };

  const linkStep = async (t: ResolvedTarget, plannedRelink: boolean): Promise<boolean> => {
    const cmd = linkCommandFor(config, t, t.output);
    const { command_hash } = plan.links.find((l) => l.target === t.name)!;
    let inputs: FileHashRecord[];
    let outputHash: string | null;
    try {
      [inputs, outputHash] = await Promise.all([linkInputHashes(plan, state.getLink(t.name), cmd.objects, cmd.dep_outputs, outputs), outputs.hash(t.output)]);
    } catch (e) {
      emit({ type: 'diagnostics', source: t.output, text: `replibuild: cannot read the inputs of ${t.output}: ${(e as Error).message}\n` });
      trace.link(t.name, t.output, null, 'failed', null);
      counts.failed++;
      failedLinks.push(t.name);
      noteFailure();
      return false;
    }
    const why = linkReason(state.getLink(t.name), command_hash, inputs, outputHash);
    if (why === null) {
      // Recompiled objects came out identical: the output is still right.
      if (plannedRelink) {
        emit({ type: 'link', target: t.name, output: t.output, ms: 0, cached: false, unchanged: true });
        trace.link(t.name, t.output, null, 'up-to-date', plan.links.find((l) => l.target === t.name)!.reason);
      }
      return true;
    }
    const runLink = async (): Promise<boolean> => {
      if (!mayStart()) {
        trace.link(t.name, t.output, null, 'skipped', why);
        return false;
      }
      const slot = trace.begin();
      let r;
      try {
        const caching = opts.linkCache && {
          cache: opts.linkCache,
          compilerId: opts.compilerIdentity.cache_id,
          // A stat of its own: taken after the link cache's stamps, so a change in between
          // shows as moved, never as a wrong key.
          hashOf: (p: string) => outputs.hash(p),
          known: (abs: string) => outputs.knownAt(abs),
          freshInputs: [...cmd.objects, ...cmd.dep_outputs].some((p) => fresh.has(p)),
          writtenNow: written,
        };
        r = await linkTarget(config, t, opts.compilerIdentity.path, { signal: abort.signal, ...(caching ? { caching } : {}) });
      } catch (e) {
        if (abort.signal.aborted) {
          trace.link(t.name, t.output, slot, 'skipped', why);
          return false;
        }
        r = { ok: false, exit_code: 1, ms: 0, command: () => '', cached: false, stderr: `replibuild: cannot link ${t.output}: ${(e as Error).message}\n` };
      }
      // A plan made from the last build's links the objects it did not compile unlooked at
      // (edit-plan.ts): one deleted by hand since fails the link, and the build is planned
      // again in full, which compiles it (build-retry.ts). Looked for only then: a listing
      // of every object dir before each edit's link would sit on its path.
      if (!r.ok && plan.from_last && !abort.signal.aborted && !allFilesPresent(cmd.objects.map((o) => resolve(root, o)))) {
        stale = true;
        trace.link(t.name, t.output, slot, 'skipped', why);
        return false;
      }
      if (r.stderr) emit({ type: 'diagnostics', source: t.output, text: r.stderr });
      trace.link(t.name, t.output, slot, !r.ok ? 'failed' : r.cached ? 'cached' : 'linked', why);
      if (!r.ok) {
        counts.failed++;
        failedLinks.push(t.name);
        state.deleteLink(t.name);
        scheduleSave();
        noteFailure();
        return false;
      }
      const newOutputHash = (r.restored && outputs.restored(t.output, r.restored)) ?? (await outputs.hash(t.output));
      // A cache hit says nothing of what linking takes: keep the last real time.
      const link_ms = r.cached ? state.getLink(t.name)?.link_ms : r.ms;
      state.setLink(t.name, {
        command_hash,
        output: t.output,
        inputs,
        ...(newOutputHash !== null ? { output_hash: newOutputHash } : {}),
        ...(link_ms !== undefined ? { link_ms } : {}),
      });
      scheduleSave();
      counts.linked++;
      if (!r.cached) fresh.add(t.output);
      written.add(t.output);
      const ev: BuildEvent = { type: 'link', target: t.name, output: t.output, ms: r.ms, cached: r.cached };
      if (request.verbose) ev.command = r.command();
      emit(ev);
      return true;
    };
    // Links go before queued compiles: a target waiting on its link holds up the ones that need it.
    return slots.add(() => (handOff ? room.link(runLink) : runLink()), { priority: 1 });
  };

  try {
    // The longest remaining work first (compile-order.ts), a window at a time
    // (start-window.ts). Only the dirty TUs have work to wait for (an edit at 20,000
    // TUs: one promise, not 20,000).
    const tuDone = new Map<string, Promise<boolean>>();
    const order = longestWorkFirst(plan.tus, plan.targets, state);
    startWindowed(order, compileTu).forEach((p, i) => tuDone.set(order[i]!.object, p));
    const targetDone = new Map<string, Promise<boolean>>();
    for (const t of plan.targets) {
      const lp = plan.links.find((l) => l.target === t.name)!;
      const ownTus = plan.tus.filter((u) => u.dirty && u.target === t.name).map((u) => tuDone.get(u.object)!);
      const deps = t.kind === 'static' ? [] : t.link_deps.map((d) => targetDone.get(d)).filter((p) => p !== undefined);
      targetDone.set(
        t.name,
        (async () => {
          const ok = [...(await Promise.all(ownTus)), ...(await Promise.all(deps))].every(Boolean);
          if (!ok || abort.signal.aborted) return false;
          return linkStep(t, lp.relink);
        })(),
      );
    }
    await Promise.all([...tuDone.values(), ...targetDone.values()]);
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
    if (saveTimer) clearTimeout(saveTimer);
    await saving;
    try {
      await state.save();
    } catch (e) {
      // The outputs are right; only the next build's knowledge of them is lost.
      emit({ type: 'message', text: `replibuild: cannot save the build state ${state.file}: ${(e as Error).message}; the next build will redo this work` });
    }
    // Only speed is lost when this fails: the next process hashes from the files again.
    await ownHasher?.save().catch(() => undefined);
  }
  if (stale && counts.failed === 0 && !abort.signal.aborted) throw new StalePlanError({ ...counts }, (performance.now() - started) / 1000);
  if (request.verbose && counters && countersAtStart) {
    const reads = counters.reads - countersAtStart.reads;
    const hits = counters.hits - countersAtStart.hits;
    emit({ type: 'message', text: `replibuild: file hashes: ${hits} unchanged (stat only), ${reads} read` });
  }

  // Temps of compilers and linkers killed with an earlier process (a daemon
  // killed -9) sit beside the outputs rebuilt now; clear them out. Not on an edit planned
  // from the last build (a listing of each object dir: 20,000 entries in a big project):
  // the first build of a new process plans in full.
  if (counts.compiled + counts.linked > 0 && !plan.from_last) {
    const dirs = new Set<string>();
    for (const tu of plan.tus) if (tu.dirty) dirs.add(dirname(resolve(root, tu.object)));
    for (const t of plan.targets) dirs.add(dirname(resolve(root, t.output)));
    sweepStaleTemps(dirs);
  }

  const result = abort.signal.aborted
    ? summary(BUILD_CANCELLED)
    : counts.failed > 0
      ? summary(failureMessage(failedSources, failedLinks, skipped > 0))
      : summary();
  const pchLine = pchSummary(plan.pch_uses); // `status` shows it
  if (pchLine !== null) result.pch = pchLine;
  try {
    result.trace = saveTrace(root, trace.finish(result));
  } catch (e) {
    // Only `why` and `report` lose this build.
    emit({ type: 'message', text: `replibuild: cannot write the build trace: ${(e as Error).message}`, warning: true });
  }
  return result;
}
