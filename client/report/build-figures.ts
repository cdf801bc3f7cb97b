// The figures a report shows of a trace: its bars, the critical path, the hit rate
// and the slowest TUs. Pure: the HTML page and the Chrome trace both start here.

import type { BuildTrace, TraceStep } from '../../protocol/trace.js';

/** A step that held a job slot: it is drawn. */
export interface Bar {
  /** Index in trace.steps. */
  index: number;
  step: TraceStep;
  start: number;
  end: number;
  lane: number;
}

export function barsOf(trace: BuildTrace): Bar[] {
  const out: Bar[] = [];
  trace.steps.forEach((step, index) => {
    if (step.start !== undefined && step.end !== undefined && step.lane !== undefined) {
      out.push({ index, step, start: step.start, end: step.end, lane: step.lane });
    }
  });
  return out;
}

/**
 * The chain of steps that decided when the build ended, first to last: from the step
 * that ended last, back through whatever it waited for that ended last (a link waits
 * for its TUs and its dependencies' links; a TU for nothing but a free slot).
 */
export function criticalPath(trace: BuildTrace): number[] {
  const bars = new Map(barsOf(trace).map((b) => [b.index, b]));
  let cur = [...bars.values()].reduce<Bar | undefined>((a, b) => (a === undefined || b.end > a.end ? b : a), undefined);
  const path: number[] = [];
  while (cur) {
    path.push(cur.index);
    const before = (cur.step.deps ?? []).map((i) => bars.get(i)).filter((b): b is Bar => b !== undefined && b.end <= cur!.start + 1);
    cur = before.reduce<Bar | undefined>((a, b) => (a === undefined || b.end > a.end ? b : a), undefined);
  }
  return path.reverse();
}

/** Of the TUs that had to be rebuilt and were, the share the cache answered. */
export function hitRate(trace: BuildTrace): { cached: number; compiled: number; rate: number | null } {
  const ran = trace.steps.filter((s) => s.kind === 'compile' && !s.pch && (s.outcome === 'compiled' || s.outcome === 'cached'));
  const cached = ran.filter((s) => s.outcome === 'cached').length;
  return { cached, compiled: ran.length - cached, rate: ran.length ? cached / ran.length : null };
}

export function slowestTus(trace: BuildTrace, n = 10): Bar[] {
  return barsOf(trace)
    .filter((b) => b.step.kind === 'compile')
    .sort((a, b) => b.end - b.start - (a.end - a.start) || a.step.name.localeCompare(b.step.name))
    .slice(0, n);
}

/** Outcome counts of the steps, for the summary line. */
export function counts(trace: BuildTrace): Record<'compiled' | 'cached' | 'failed' | 'linked' | 'skipped', number> {
  const c = { compiled: 0, cached: 0, failed: 0, linked: 0, skipped: 0 };
  for (const s of trace.steps) {
    if (s.kind === 'link') {
      if (s.outcome === 'linked' || s.outcome === 'cached') c.linked++;
      else if (s.outcome === 'failed') c.failed++;
      continue;
    }
    if (s.pch) continue; // a precompiled header: not one of the TUs counted
    if (s.outcome === 'compiled' || s.outcome === 'cached' || s.outcome === 'failed' || s.outcome === 'skipped') c[s.outcome]++;
  }
  return c;
}
