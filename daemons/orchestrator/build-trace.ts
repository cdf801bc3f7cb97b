// Records one build as it runs, for its trace (protocol/trace.ts): the job slot each
// compile and link took, when, what came of it, the planner's reason and the cache's
// answer. The engine calls it at each step; it owns no I/O (trace-store.ts writes).

import { randomUUID } from 'node:crypto';
import type { BuildSummary, CompileResult } from '../../protocol/build.js';
import { TRACE_VERSION, type BuildTrace, type HeaderCost, type RebuildReason, type StepOutcome, type TraceStep } from '../../protocol/trace.js';
import type { ResolvedTarget } from '../../config/types.js';
import type { BuildPlan, TuPlan } from './planner.js';
import { byCodeUnit } from '../../config/glob.js';
import { isoTime } from '../common/iso-time.js';

/** A job slot held by a running step. */
export interface Slot {
  lane: number;
  start: number;
  /** Set by release(): when the work itself ended, before its result was recorded. */
  end?: number;
}

/** Headers kept per class (inside the project, outside it): the report shows ten. */
const HEADERS_KEPT = 20;

export class TraceRecorder {
  private readonly steps: TraceStep[] = [];
  private readonly busy = new Map<number, Slot>();
  private readonly headerMs = new Map<string, { ms: number; includers: number }>();
  private readonly startedAt = isoTime();
  private targets: readonly ResolvedTarget[] = [];
  private tus = 0;
  private upToDate = 0;
  private pchs: BuildPlan['pch_uses'] = [];

  constructor(
    private readonly o: { build_id: string; build_dir: string; targets: string[]; jobs: number; t0: number },
  ) {}

  private now(): number {
    return Math.round((performance.now() - this.o.t0) * 10) / 10;
  }

  planned(plan: BuildPlan): void {
    this.targets = plan.targets;
    this.tus = plan.tus.length;
    this.upToDate = plan.tus.length - plan.dirty_tus;
    this.pchs = plan.pch_uses ?? []; // plans made before PCHs have none
  }

  /** Takes the lowest free job slot, so lanes read as the build's parallelism. With all
   *  `jobs` lanes taken, one job has ended where it ran (a handed-off compile's next job
   *  starts at the compilation daemon before the finished one's result reaches us): the
   *  one running longest gives up its lane, ending now. */
  begin(): Slot {
    if (this.busy.size >= this.o.jobs) {
      let oldest: Slot | undefined;
      for (const s of this.busy.values()) if (!oldest || s.start < oldest.start) oldest = s;
      this.release(oldest!);
    }
    let lane = 0;
    while (this.busy.has(lane)) lane++;
    const slot: Slot = { lane, start: this.now() };
    this.busy.set(lane, slot);
    return slot;
  }

  /** The work in `slot` has ended (a compile's result came): its lane is free for the
   *  next one even while this result is still being recorded. */
  release(slot: Slot): void {
    if (slot.end !== undefined) return;
    if (this.busy.get(slot.lane) === slot) this.busy.delete(slot.lane);
    slot.end = this.now();
  }

  private end(slot: Slot | null): Pick<TraceStep, 'start' | 'end' | 'lane'> {
    if (!slot) return {};
    this.release(slot);
    return { start: slot.start, end: slot.end!, lane: slot.lane };
  }

  /** A dirty TU: compiled, cached or failed in `slot`, or (no result) not started. */
  compile(tu: TuPlan, slot: Slot | null, res: CompileResult | null): void {
    const outcome: StepOutcome = res === null ? 'skipped' : res.outcome;
    const step: TraceStep = { kind: 'compile', target: tu.target, name: tu.source, object: tu.object, outcome, reason: tu.reason, ...this.end(slot) };
    if (res?.cache) step.cache = res.cache;
    if (tu.pch && tu.object === tu.pch.gch) step.pch = true;
    this.steps.push(step);
    if (res && step.end !== undefined) this.chargeHeaders(res.headers, step.end - step.start!);
  }

  link(target: string, output: string, slot: Slot | null, outcome: StepOutcome, reason: RebuildReason | null): void {
    this.steps.push({ kind: 'link', target, name: output, outcome, reason, ...this.end(slot) });
  }

  private chargeHeaders(headers: readonly string[], ms: number): void {
    for (const h of new Set(headers)) {
      const c = this.headerMs.get(h);
      if (c) {
        c.ms += ms;
        c.includers++;
      } else this.headerMs.set(h, { ms, includers: 1 });
    }
  }

  /** The trace, id 0 until the store gives it one. */
  finish(summary: BuildSummary): BuildTrace {
    const trace: BuildTrace = {
      version: TRACE_VERSION,
      id: 0,
      build_id: this.o.build_id,
      started_at: this.startedAt,
      build_dir: this.o.build_dir,
      targets: this.o.targets,
      jobs: this.o.jobs,
      ok: summary.ok,
      seconds: summary.seconds,
      tus: this.tus,
      up_to_date: this.upToDate,
      steps: this.steps,
      header_costs: this.headerCosts(),
    };
    if (summary.error !== undefined) trace.error = summary.error;
    if (this.pchs.length) trace.pchs = this.pchs;
    this.linkDeps();
    return trace;
  }

  /** What each link waited for: its own TUs, and (but for a static library) its
   *  dependencies' links; the report's critical path walks these. */
  private linkDeps(): void {
    const linkOf = new Map<string, number>();
    this.steps.forEach((s, i) => {
      if (s.kind === 'link') linkOf.set(s.target, i);
    });
    for (const t of this.targets) {
      const i = linkOf.get(t.name);
      if (i === undefined) continue;
      const deps: number[] = [];
      this.steps.forEach((s, j) => {
        if (s.kind === 'compile' && s.target === t.name) deps.push(j);
      });
      if (t.kind !== 'static') for (const d of t.link_deps) if (linkOf.has(d)) deps.push(linkOf.get(d)!);
      this.steps[i]!.deps = deps;
    }
  }

  private headerCosts(): BuildTrace['header_costs'] {
    const all: HeaderCost[] = [...this.headerMs].map(([path, c]) => ({ path, ms: Math.round(c.ms), includers: c.includers }));
    all.sort((a, b) => b.ms - a.ms || byCodeUnit(a.path, b.path));
    const external = (p: string) => p.startsWith('/') || p.startsWith('../');
    return {
      project: all.filter((h) => !external(h.path)).slice(0, HEADERS_KEPT),
      external: all.filter((h) => external(h.path)).slice(0, HEADERS_KEPT),
    };
  }
}

/** The trace of a build where nothing ran: a no-op answered from the change journal
 *  (every TU up to date), or one stopped before planning (`error` says why). */
export function stepFreeTrace(o: { build_dir: string; targets: string[]; tus: number; summary: BuildSummary; noop?: true }): BuildTrace {
  const t: BuildTrace = {
    version: TRACE_VERSION,
    id: 0,
    build_id: randomUUID(),
    started_at: isoTime(Date.now() - o.summary.seconds * 1000),
    build_dir: o.build_dir,
    targets: o.targets,
    jobs: 0,
    ok: o.summary.ok,
    seconds: o.summary.seconds,
    tus: o.tus,
    up_to_date: o.summary.upToDate,
    steps: [],
    header_costs: { project: [], external: [] },
  };
  if (o.noop) t.noop = true;
  if (o.summary.error !== undefined) t.error = o.summary.error;
  return t;
}
