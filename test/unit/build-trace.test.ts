// The trace recorder (job slots, header costs, what links waited for) and the trace
// store (ids, the last 20 kept, two writers at once, naming a build).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TraceRecorder } from '../../daemons/orchestrator/build-trace.js';
import { isNewestTrace, loadTrace, saveTrace, traceIds, TRACES_KEPT, tracesDir, TraceNotFoundError } from '../../daemons/orchestrator/trace-store.js';
import type { BuildPlan, TuPlan } from '../../daemons/orchestrator/planner.js';
import type { CompileResult } from '../../protocol/build.js';
import type { ResolvedTarget } from '../../config/types.js';
import { REPO } from '../helpers/project.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempRoot(): string {
  const d = mkdtempSync(join(tmpdir(), 'replibuild-trace-'));
  dirs.push(d);
  return d;
}

const tuPlan = (source: string, target = 'core'): TuPlan =>
  ({ target, source, object: `build/obj/${target}/${source}.o`, dirty: true, reason: { kind: 'source-changed' } }) as TuPlan;
const result = (headers: string[], outcome: CompileResult['outcome'] = 'compiled'): CompileResult => ({
  outcome,
  exit_code: 0,
  stderr: '',
  duration_ms: 1,
  headers,
  compiler_id: 'c',
  cache: { mode: 'depend', miss: { kind: 'first-compile' } },
});

describe('TraceRecorder', () => {
  it('gives each running step the lowest free job slot and records what came of it', async () => {
    const r = new TraceRecorder({ build_id: 'b', build_dir: 'build', targets: [], jobs: 2, t0: performance.now() });
    const targets = [
      { name: 'core', kind: 'static', link_deps: [] },
      { name: 'app', kind: 'executable', link_deps: ['core'] },
    ] as unknown as ResolvedTarget[];
    r.planned({ targets, tus: [tuPlan('a.cpp'), tuPlan('b.cpp'), tuPlan('m.cpp', 'app'), tuPlan('u.cpp')], dirty_tus: 3 } as unknown as BuildPlan);
    const s0 = r.begin();
    const s1 = r.begin();
    expect([s0.lane, s1.lane]).toEqual([0, 1]);
    r.compile(tuPlan('a.cpp'), s0, result(['include/a.h', '/usr/include/c++/12/vector', 'include/a.h']));
    const s2 = r.begin();
    expect(s2.lane).toBe(0); // the slot a.cpp freed
    r.compile(tuPlan('b.cpp'), s1, result(['include/a.h'], 'cached'));
    r.compile(tuPlan('m.cpp', 'app'), null, null);
    const s3 = r.begin();
    r.link('core', 'build/lib/libcore.a', s3, 'linked', { kind: 'object-recompiled', object: 'x' });
    r.compile(tuPlan('c.cpp'), s2, result([], 'failed'));
    r.link('app', 'build/bin/app', null, 'skipped', null);
    const t = r.finish({ ok: false, compiled: 1, cached: 1, upToDate: 1, linked: 1, failed: 1, seconds: 0.5, error: 'boom' });
    expect(t.steps.map((s) => [s.name, s.outcome, s.lane])).toEqual([
      ['a.cpp', 'compiled', 0],
      ['b.cpp', 'cached', 1],
      ['m.cpp', 'skipped', undefined],
      ['build/lib/libcore.a', 'linked', 1],
      ['c.cpp', 'failed', 0],
      ['build/bin/app', 'skipped', undefined],
    ]);
    for (const s of t.steps.filter((s) => s.lane !== undefined)) expect(s.end!).toBeGreaterThanOrEqual(s.start!);
    expect(t.steps[0]!.cache).toEqual({ mode: 'depend', miss: { kind: 'first-compile' } });
    expect(t).toMatchObject({ tus: 4, up_to_date: 1, ok: false, error: 'boom', jobs: 2 });
    // A static library waits for its TUs only; an executable for its TUs and its deps' links.
    expect(t.steps[3]!.deps).toEqual([0, 1, 4]);
    expect(t.steps[5]!.deps).toEqual([2, 3]);
    // Each header is charged once per includer, inside and outside the project apart.
    expect(t.header_costs.project.map((h) => [h.path, h.includers])).toEqual([['include/a.h', 2]]);
    expect(t.header_costs.external.map((h) => [h.path, h.includers])).toEqual([['/usr/include/c++/12/vector', 1]]);
  });
});

const trace = (n: number) => ({
  version: 1 as const,
  id: 0,
  build_id: `b${n}`,
  started_at: new Date().toISOString(),
  build_dir: 'build',
  targets: [],
  jobs: 1,
  ok: true,
  seconds: n,
  tus: 0,
  up_to_date: 0,
  steps: [],
  header_costs: { project: [], external: [] },
});

describe('trace store', () => {
  it(`numbers traces from 1, keeps the last ${TRACES_KEPT}, private to the owner`, () => {
    const root = tempRoot();
    expect(saveTrace(root, trace(1))).toBe(1);
    for (let i = 2; i <= TRACES_KEPT + 3; i++) saveTrace(root, trace(i));
    expect(traceIds(root)).toEqual(Array.from({ length: TRACES_KEPT }, (_, i) => i + 4));
    expect(readdirSync(tracesDir(root)).filter((n) => !/^\d+\.json$/.test(n))).toEqual([]); // no temp left
    expect(statSync(tracesDir(root)).mode & 0o777).toBe(0o700);
    expect(statSync(join(tracesDir(root), '23.json')).mode & 0o777).toBe(0o600);
    expect(loadTrace(root).id).toBe(23);
    expect(loadTrace(root, 'last-2')).toMatchObject({ id: 21, seconds: 21 });
    expect(loadTrace(root, '4').build_id).toBe('b4');
  });

  it('tells whether a trace is still the newest (a no-op answers with it again while it is)', () => {
    const root = tempRoot();
    expect(isNewestTrace(root, 1)).toBe(false);
    saveTrace(root, trace(1));
    expect(isNewestTrace(root, 1)).toBe(true);
    saveTrace(root, trace(2));
    expect([isNewestTrace(root, 1), isNewestTrace(root, 2)]).toEqual([false, true]);
    for (let i = 3; i <= TRACES_KEPT + 2; i++) saveTrace(root, trace(i));
    expect(isNewestTrace(root, 1)).toBe(false); // pruned
    rmSync(tracesDir(root), { recursive: true });
    expect(isNewestTrace(root, TRACES_KEPT + 2)).toBe(false);
  });

  it('says which builds it has when asked for one it has not', () => {
    const root = tempRoot();
    expect(() => loadTrace(root)).toThrow(/no build trace yet: run `replibuild compile` first/);
    saveTrace(root, trace(1));
    saveTrace(root, trace(2));
    expect(() => loadTrace(root, '3')).toThrow(TraceNotFoundError);
    expect(() => loadTrace(root, 'last-2')).toThrow(/no build trace last-2: the kept ones are 1–2/);
    expect(() => loadTrace(root, 'yesterday')).toThrow(/"yesterday" names no build/);
  });

  it('counts only the builds into one build dir when asked (a build profile)', () => {
    const root = tempRoot();
    for (const dir of ['build', 'build-debug', 'build', 'build-debug', 'build']) saveTrace(root, { ...trace(0), build_dir: dir });
    expect(loadTrace(root, 'last', 'build-debug').id).toBe(4);
    expect(loadTrace(root, 'last-1', 'build-debug').id).toBe(2);
    expect(loadTrace(root, 'last-1', 'build').id).toBe(3);
    expect(() => loadTrace(root, '3', 'build-debug')).toThrow(/no build trace 3 into build-debug: the kept ones are 2, 4 \(/);
  });

  it('two processes saving at once never share an id or lose a trace', async () => {
    const root = tempRoot();
    const store = join(REPO, 'dist/daemons/orchestrator/trace-store.js');
    const writer = () =>
      new Promise<number>((res) => {
        const code = `import(${JSON.stringify(store)}).then((s) => { for (let i = 0; i < 8; i++) s.saveTrace(${JSON.stringify(root)}, ${JSON.stringify(trace(0))}); });`;
        spawn(process.execPath, ['-e', code], { stdio: 'inherit' }).on('close', (c) => res(c ?? -1));
      });
    expect(await Promise.all([writer(), writer()])).toEqual([0, 0]);
    expect(traceIds(root)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
  });
});
