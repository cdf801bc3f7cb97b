// A build's trace as Chrome trace-event JSON, which Perfetto (ui.perfetto.dev) and
// chrome://tracing open: a complete ("X") event per compile and link, its job slot
// as the thread, times in µs, as ninjatracing makes of .ninja_log. Pure.

import type { BuildTrace } from '../../protocol/trace.js';
import { outcomeText, reasonText } from '../explain.js';
import { barsOf } from './build-figures.js';

interface TraceEvent {
  name: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  cat?: string;
  args: Record<string, string | number>;
}

const PID = 1;

export function toChromeTrace(trace: BuildTrace): { traceEvents: TraceEvent[]; displayTimeUnit: 'ms'; otherData: Record<string, string | number> } {
  const bars = barsOf(trace);
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: PID, tid: 0, args: { name: `replibuild build ${trace.id}` } }];
  const lanes = new Set(bars.map((b) => b.lane));
  for (const l of [...lanes].sort((a, b) => a - b)) events.push({ name: 'thread_name', ph: 'M', pid: PID, tid: l + 1, args: { name: `job ${l + 1}` } });
  for (const b of bars) {
    const args: Record<string, string | number> = { target: b.step.target, outcome: outcomeText(b.step) };
    if (b.step.reason) args.why = reasonText(b.step.reason);
    events.push({
      name: b.step.name,
      cat: `${b.step.kind},${b.step.outcome}`,
      ph: 'X',
      ts: Math.round(b.start * 1000),
      dur: Math.max(1, Math.round((b.end - b.start) * 1000)),
      pid: PID,
      tid: b.lane + 1,
      args,
    });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    otherData: { build: trace.id, started_at: trace.started_at, seconds: trace.seconds, ok: trace.ok ? 'yes' : 'no' },
  };
}
