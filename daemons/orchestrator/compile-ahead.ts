// Compiles a saved source before the build that needs it is asked for. A save reaches the
// orchestrator through discovery's journal (wait_for_change) within a few ms, while the
// CLI that asks for the build spends ~25 ms starting node and connecting: the edit's
// compile, started at the save, runs meanwhile. The build takes the result only where it
// is the very compile it would have run: the same job, and nothing that compile read (its
// source, the headers it named, the headers its last compile named) changed in the journal
// after the compile began. Otherwise the build compiles as if nothing had happened.
//
// Only a source of the last complete build's plan edited in place qualifies (a header, a
// file come or gone, a config file wait for the build), a few at a time, never while a
// build runs or waits; a build plans while they run and waits for them before it compiles
// anything, so two compiles never write one object (and one renamed into place mid-plan is
// whole: compile-runner.ts). A taken result is recorded from what the build would have had (object-records.ts):
// the inputs' hashes taken before that compile and when it began. An object compiled ahead
// and never taken is safe too: its source is in the journal since the last build, so the
// next plan looks at its TU, and a plan always checks the object's hash against its record.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CompilationApi, CompileJob, CompileResult } from '../../protocol/build.js';
import type { ChangesResult } from '../../protocol/discovery.js';
import type { BuildStateReader } from './build-state.js';
import type { KeptPlan } from './edit-plan.js';
import type { FileHasher } from './file-hasher.js';
import type { JournalPoint } from './journal-point.js';
import { inputsBefore } from './object-records.js';
import { tuReason, type TuPlan } from './planner.js';

/** Most TUs compiled ahead at once: a save is one file, a "save all" a few. */
const AHEAD_MAX = 4;
/** One long poll's length; and the pause after discovery failed to answer one. */
const POLL_MS = 30_000;
const RETRY_MS = 2_000;

/** What a build takes instead of compiling (build-options.ts, adopt). */
export interface EarlyCompile {
  res: CompileResult;
  /** The hashes of what the TU's last compile read, taken just before this one began. */
  before: Map<string, string | null>;
  /** Date.now() just before: what the compile read is judged from then. */
  sinceMs: number;
}

/** What compiling ahead looks from: the last build's plan, journal point and state. */
export interface AheadBase {
  point: JournalPoint;
  kept: KeptPlan;
  state: BuildStateReader;
  configGeneration: number | undefined;
}

export interface AheadDeps {
  root: string;
  changesSince(epoch: number, journalId: string, configGeneration?: number): Promise<ChangesResult | null>;
  waitForChange(epoch: number, timeoutMs: number, signal: AbortSignal): Promise<number | null>;
  compilation: Pick<CompilationApi, 'compile' | 'identity' | 'cancel'>;
  hasher: FileHasher;
  /** The base, or null when there is none or compile_ahead is off. */
  base(): AheadBase | null;
  /** Whether a build runs or waits: it looks at the journal itself. */
  busy(): boolean;
}

interface Entry {
  object: string;
  key: string;
  build_id: string;
  epoch: number;
  journal_id: string;
  early: Omit<EarlyCompile, 'res'>;
  /** Absolute paths the compile may have read: the source and the last compile's headers,
   *  and once it is done the headers it named. */
  inputs: Set<string>;
  done: Promise<void>;
  /** Its result; null when it did not get one (cancelled, or the compilation daemon gone). */
  res?: CompileResult | null;
}

const baseName = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

/** A job as the build would run it, whichever build it belongs to. */
function keyOf(job: CompileJob): string {
  return JSON.stringify([job.cwd, job.compiler, job.args, job.source, job.object, job.depfile, job.pch ?? null]);
}

export class CompileAhead {
  /** By object path. */
  private readonly entries = new Map<string, Entry>();
  /** Dropped ones still running: what they write must land before anything else writes there. */
  private readonly draining = new Set<Promise<void>>();
  /** The look at the journal in progress, if any. */
  private looking: Promise<void> = Promise.resolve();
  private following: Promise<void> | null = null;
  private epoch = 0;
  private readonly stop = new AbortController();
  private readonly counts = { started: 0, taken: 0, dropped: 0 };

  constructor(private readonly d: AheadDeps) {}

  /** What `status` shows: compiles started, taken by a build, dropped; and running now. */
  report(): Record<string, number> {
    let running = this.draining.size;
    for (const e of this.entries.values()) if (e.res === undefined) running++;
    return { ...this.counts, running };
  }

  /** Follows the journal from `epoch` (a build's) on; the first call starts the long poll. */
  follow(epoch: number): void {
    this.epoch = Math.max(this.epoch, epoch);
    this.following ??= this.poll();
  }

  /** Resolves once nothing is being looked at or compiled ahead: a build starts after it. */
  async settled(): Promise<void> {
    await this.looking;
    await Promise.all([...this.draining, ...[...this.entries.values()].map((e) => e.done)]);
  }

  /** Stops following and cancels what runs. */
  async close(): Promise<void> {
    this.stop.abort();
    for (const e of [...this.entries.values()]) this.drop(e);
    await this.following;
    await this.settled();
  }

  /**
   * For a build that has read the journal (`changes`), once nothing runs ahead: what it may
   * take, each result once. Every entry is the build's to take or to leave; none outlives it.
   */
  async adopter(changes: ChangesResult | null): Promise<((job: CompileJob) => EarlyCompile | undefined) | undefined> {
    await this.settled();
    if (this.entries.size === 0) return undefined;
    await this.dropStale(changes);
    const taken = new Map(this.entries);
    this.entries.clear();
    if (taken.size === 0) return undefined;
    return (job) => {
      const e = taken.get(job.object);
      if (!e?.res || e.key !== keyOf(job)) return undefined;
      taken.delete(job.object);
      this.counts.taken++;
      return { res: e.res, ...e.early };
    };
  }

  private async poll(): Promise<void> {
    const { signal } = this.stop;
    while (!signal.aborted) {
      const moved = await this.d.waitForChange(this.epoch, POLL_MS, signal).catch(() => null);
      if (signal.aborted) return;
      if (moved === null) {
        await sleep(RETRY_MS, undefined, { signal }).catch(() => undefined);
        continue;
      }
      if (moved <= this.epoch) continue;
      // No quiet window: discovery reads a burst of writes together (its drain delay), and a
      // save that comes after a compile began drops it (dropStale).
      this.epoch = moved;
      if (this.d.busy()) continue;
      const base = this.d.base();
      if (!base) continue;
      // Set before the first await: a build that comes now waits for this look.
      this.looking = this.look(base).catch(() => undefined);
      await this.looking;
    }
  }

  /** Starts the compiles the journal asks for since the base's build, if it qualifies. */
  private async look({ point, kept, state, configGeneration }: AheadBase): Promise<void> {
    if (!point.complete || kept.plan.pchs.length > 0 || kept.plan.pch_uses.length > 0) return;
    const changes = await this.d.changesSince(point.epoch, point.journal_id, configGeneration);
    await this.dropStale(changes);
    if (!changes?.complete || changes.journal_id !== point.journal_id || changes.shadowing.length > 0) return;
    if (changes.changes.length > AHEAD_MAX || changes.changes.some((c) => c.kind !== 'changed')) return;
    const changed = new Set(changes.changes.map((c) => resolve(this.d.root, c.path)));
    // By name first: 20,000 sources are not resolved for one save.
    const names = new Set([...changed].map(baseName));
    const tus = kept.plan.tus.filter((tu) => names.has(baseName(tu.source)) && changed.has(resolve(this.d.root, tu.source)));
    // Anything but sources (a header, a config file) is the build's to weigh.
    if (tus.length === 0 || tus.length > AHEAD_MAX || new Set(tus.map((tu) => tu.source)).size !== changed.size) return;
    await Promise.all(this.draining);
    const compilers = new Map<string, Promise<string | null>>();
    for (const tu of tus) {
      if (this.entries.has(tu.object)) continue; // started for this content, still good
      const rec = state.getObject(tu.object);
      if (!rec || (await tuReason(tu, rec, tu.compiler_id, this.d.hasher, {})) === null) continue;
      // The compiler the build would probe: one replaced since is the build's to see.
      const { compiler } = tu.job;
      if (!compilers.has(compiler)) compilers.set(compiler, this.d.compilation.identity(compiler, this.d.root).then((i) => i.id, () => null));
      if ((await compilers.get(compiler)) !== tu.compiler_id) continue;
      await this.start(tu, state, changes);
    }
  }

  private async start(tu: TuPlan, state: BuildStateReader, changes: ChangesResult): Promise<void> {
    const sinceMs = Date.now();
    const before = await inputsBefore(tu, state, this.d.hasher);
    const build_id = `ahead-${randomUUID()}`;
    const abs = (p: string) => resolve(this.d.root, p);
    const e: Entry = {
      object: tu.object,
      key: keyOf(tu.job),
      build_id,
      epoch: changes.epoch,
      journal_id: changes.journal_id,
      early: { before, sinceMs },
      inputs: new Set([...before.keys()].map(abs)),
      done: Promise.resolve(),
    };
    e.done = this.d.compilation.compile({ ...tu.job, build_id }).then(
      (res) => {
        for (const h of res.headers) e.inputs.add(abs(h));
        e.res = res;
      },
      () => void (e.res = null),
    );
    this.entries.set(tu.object, e);
    this.counts.started++;
  }

  /** Drops every entry something it read may have changed for since it began. */
  private async dropStale(changes: ChangesResult | null): Promise<void> {
    // Asked once per epoch: the entries of one look share theirs (each ask is a sync round).
    const asked = new Map<number, Promise<ChangesResult | null>>();
    for (const e of [...this.entries.values()]) {
      if (!changes?.complete || changes.journal_id !== e.journal_id) {
        this.drop(e);
        continue;
      }
      if (changes.epoch === e.epoch) continue;
      let ask = asked.get(e.epoch);
      if (!ask) asked.set(e.epoch, (ask = this.d.changesSince(e.epoch, e.journal_id)));
      const since = await ask;
      // Running, it may read a header its last compile did not: any change drops it.
      const touched =
        !since?.complete ||
        since.changes.some((c) => c.kind !== 'changed' || e.res === undefined || e.inputs.has(resolve(this.d.root, c.path)));
      if (touched) this.drop(e);
    }
  }

  private drop(e: Entry): void {
    if (this.entries.get(e.object) !== e) return;
    this.entries.delete(e.object);
    this.counts.dropped++;
    if (e.res === undefined) {
      void this.d.compilation.cancel(e.build_id).catch(() => undefined);
      const p = e.done.finally(() => this.draining.delete(p));
      this.draining.add(p);
    }
  }
}
