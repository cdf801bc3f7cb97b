// The report's pure parts: a trace in, figures, an HTML string or Chrome trace JSON out.
import { describe, expect, it } from 'vitest';
import type { BuildTrace, TraceStep } from '../../protocol/trace.js';
import { criticalPath, hitRate, slowestTus } from '../../client/report/build-figures.js';
import { escapeHtml, renderReportHtml, tooltipText } from '../../client/report/html.js';
import { toChromeTrace } from '../../client/report/chrome-trace.js';
import { explainTrace, reasonText, stepsFor } from '../../client/explain.js';

const tu = (name: string, lane: number, start: number, end: number, extra: Partial<TraceStep> = {}): TraceStep => ({
  kind: 'compile',
  target: 'core',
  name,
  object: `build/obj/core/${name}.o`,
  outcome: 'compiled',
  reason: { kind: 'header-changed', header: 'include/util.h' },
  start,
  end,
  lane,
  cache: { mode: 'depend', miss: { kind: 'entries-stale', detail: 'header include/util.h changed or is gone' } },
  ...extra,
});

/** Two lanes: a.cpp and c.cpp on job 1, b.cpp (cached) on job 2, then libcore.a and app. */
function sample(): BuildTrace {
  const steps: TraceStep[] = [
    tu('src/a.cpp', 0, 10, 400),
    tu('src/b.cpp', 1, 10, 30, { outcome: 'cached', cache: { mode: 'direct' } }),
    tu('src/c.cpp', 1, 30, 500),
    { kind: 'link', target: 'core', name: 'build/lib/libcore.a', outcome: 'linked', reason: { kind: 'object-recompiled', object: 'build/obj/core/src/c.cpp.o' }, start: 500, end: 540, lane: 0, deps: [0, 1, 2] },
    tu('src/main.cpp', 0, 400, 480, { target: 'app', reason: { kind: 'flags-changed' } }),
    { kind: 'link', target: 'app', name: 'build/bin/app', outcome: 'linked', reason: { kind: 'dependency-relinked', target: 'core' }, start: 540, end: 700, lane: 0, deps: [4, 3] },
    { kind: 'link', target: 'tool', name: 'build/bin/tool', outcome: 'up-to-date', reason: { kind: 'object-recompiled', object: 'x.o' } },
  ];
  return {
    version: 1,
    id: 7,
    build_id: 'b',
    started_at: '2026-12-03T10:00:00.000Z',
    build_dir: 'build',
    targets: [],
    jobs: 2,
    ok: true,
    seconds: 0.72,
    tus: 6,
    up_to_date: 2,
    steps,
    header_costs: { project: [{ path: 'include/util.h', ms: 870, includers: 2 }], external: [{ path: '/usr/include/c++/12/vector', ms: 950, includers: 4 }] },
  };
}

describe('report figures', () => {
  it('the critical path runs back from the last step through what each waited for that ended last', () => {
    const t = sample();
    expect(criticalPath(t).map((i) => t.steps[i]!.name)).toEqual(['src/c.cpp', 'build/lib/libcore.a', 'build/bin/app']);
  });

  it('hit rate counts the rebuilt TUs the cache answered; slowest lists TUs only, slowest first, at most 10', () => {
    const t = sample();
    expect(hitRate(t)).toEqual({ cached: 1, compiled: 3, rate: 0.25 });
    expect(slowestTus(t).map((b) => b.step.name)).toEqual(['src/c.cpp', 'src/a.cpp', 'src/main.cpp', 'src/b.cpp']);
    t.steps = Array.from({ length: 14 }, (_, i) => tu(`s${i}.cpp`, 0, i * 10, i * 10 + i));
    expect(slowestTus(t).map((b) => b.step.name)).toEqual(['s13.cpp', 's12.cpp', 's11.cpp', 's10.cpp', 's9.cpp', 's8.cpp', 's7.cpp', 's6.cpp', 's5.cpp', 's4.cpp']);
  });
});

describe('report HTML', () => {
  const html = renderReportHtml(sample());

  it('draws one bar per step that held a job slot, coloured by outcome, the critical path marked', () => {
    const bars = [...html.matchAll(/<rect class="bar ([^"]*)"/g)].map((m) => m[1]!);
    expect(bars).toHaveLength(6);
    expect(bars.filter((c) => c.includes('critical'))).toHaveLength(3);
    expect(bars.filter((c) => c.includes('o-cached'))).toHaveLength(1);
    expect(html).toContain('fill="#59a14f"'); // the cached bar's green
  });

  it('gives each bar a tooltip: the step, what came of it, why, its slot and times', () => {
    const t = sample();
    expect(tooltipText(t.steps[0]!)).toBe(
      'src/a.cpp [core]\ncompiled in 0.39s (cache miss: header include/util.h changed or is gone)\nwhy: header changed: include/util.h\njob 1: 0.01s → 0.40s',
    );
    expect(html).toContain(`<title>${escapeHtml(tooltipText(t.steps[0]!))}</title>`);
    expect(tooltipText(t.steps[1]!)).toContain('from cache (direct mode)');
  });

  it('shows the hit rate, the slowest TUs and the costly headers', () => {
    expect(html).toContain('hit rate 25% (1 of 4 rebuilt TUs from the cache)');
    expect(html).toMatch(/<td>include\/util\.h<\/td><td>0\.87s<\/td><td>2<\/td>/);
    expect(html).toContain('/usr/include/c++/12/vector');
    expect(html).toContain('Slowest TUs');
  });

  it('is self-contained: no URL, no external script, style or font', () => {
    expect(html).not.toMatch(/\b(src|href)\s*=|https?:|url\(|@import|@font-face/i);
    expect(html).toContain('<script>');
  });

  it('escapes what the trace names', () => {
    const t = sample();
    t.steps[0]!.name = 'src/<b>&"x\'.cpp';
    const h = renderReportHtml(t);
    expect(h).not.toContain('<b>&');
    expect(h).toContain('src/&lt;b&gt;&amp;&quot;x&#39;.cpp');
  });

  it('a build where nothing ran says so instead of drawing an empty chart', () => {
    const t = { ...sample(), steps: [], noop: true, up_to_date: 6 };
    const h = renderReportHtml(t);
    expect(h).not.toContain('<rect');
    expect(h).toContain('Nothing ran in this build: every TU and output was up to date.');
    const stopped = renderReportHtml({ ...t, noop: undefined, ok: false, error: 'unknown target "x"' });
    expect(stopped).toContain('Nothing ran in this build: it stopped first.');
    expect(stopped).toContain('unknown target &quot;x&quot;');
  });
});

describe('Chrome trace', () => {
  it('has a complete event per bar, in µs, a thread per job slot', () => {
    const c = toChromeTrace(sample());
    const x = c.traceEvents.filter((e) => e.ph === 'X');
    expect(x).toHaveLength(6);
    expect(x[0]).toMatchObject({ name: 'src/a.cpp', ts: 10_000, dur: 390_000, pid: 1, tid: 1, cat: 'compile,compiled' });
    expect(x[0]!.args.why).toBe('header changed: include/util.h');
    const threads = c.traceEvents.filter((e) => e.name === 'thread_name').map((e) => e.args.name);
    expect(threads).toEqual(['job 1', 'job 2']);
    expect(JSON.parse(JSON.stringify(c))).toEqual(c);
  });
});

describe('why lines', () => {
  it('name the changed header, and pick steps by source, object, output, target or the header itself', () => {
    const t = sample();
    expect(explainTrace(t, 'src/a.cpp')).toEqual([
      'src/a.cpp: header changed: include/util.h → compiled in 0.39s (cache miss: header include/util.h changed or is gone)',
    ]);
    expect(stepsFor(t, 'include/util.h').map((s) => s.name)).toEqual(['src/a.cpp', 'src/b.cpp', 'src/c.cpp']);
    expect(stepsFor(t, 'build/obj/core/src/c.cpp.o').map((s) => s.name)).toEqual(['src/c.cpp']);
    expect(stepsFor(t, 'app').map((s) => s.name)).toEqual(['build/bin/app']);
    expect(explainTrace(t, 'build/bin/tool')).toEqual(['build/bin/tool: object recompiled: x.o → not relinked (inputs unchanged)']);
    expect(explainTrace(t, 'src/zzz.cpp')[0]).toMatch(/not rebuilt in build 7/);
    expect(reasonText({ kind: 'flags-changed' })).toMatch(/^flags changed/);
  });
});
