import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildRequest, CompileJob, CompileResult } from '../../protocol/build.js';
import type { ProjectConfig } from '../../config/types.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { CompileQueue } from '../../daemons/compilation/compile-queue.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import { runBuild } from '../../daemons/orchestrator/build-engine.js';
import { BuildState } from '../../daemons/orchestrator/build-state.js';
import {
  CALC_FILES,
  calcConfig,
  countingCompiler,
  listFiles,
  projectConfig,
  engineTestSetup,
  runProgram,
  target,
} from './build-engine-fixture.js';

const REQUEST: BuildRequest = { targets: [], jobs: 0, keep_going: false, verbose: false };

/** Five TUs in one executable: enough work for a build to be caught in the middle. */
const WIDE_FILES: Record<string, string> = {
  'include/parts.h': '#pragma once\nint p1(); int p2(); int p3(); int p4();\n',
  'src/p1.cpp': '#include "parts.h"\nint p1() { return 1; }\n',
  'src/p2.cpp': '#include "parts.h"\nint p2() { return 2; }\n',
  'src/p3.cpp': '#include "parts.h"\nint p3() { return 3; }\n',
  'src/p4.cpp': '#include "parts.h"\nint p4() { return 4; }\n',
  'src/main.cpp': '#include <cstdio>\n#include "parts.h"\nint main() { std::printf("%d\\n", p1() + p2() + p3() + p4()); }\n',
};
const WIDE_SOURCES = ['src/p1.cpp', 'src/p2.cpp', 'src/p3.cpp', 'src/p4.cpp', 'src/main.cpp'];

function wideConfig(root: string): ProjectConfig {
  return projectConfig(root, [target({ name: 'wide', kind: 'executable', sources: WIDE_SOURCES, include_dirs: ['include'] })]);
}

const setup = engineTestSetup();
const project = (files?: Record<string, string>): string => setup.project(files);
const tempFiles = (root: string) => listFiles(join(root, 'build')).filter((f) => f.includes('.tmp-'));

describe('concurrent builds, cancellation and killed compiles', () => {
  it('two builds of one project through one CompileQueue never compile an object twice at once', async () => {
    const root = project(WIDE_FILES);
    const config = wideConfig(root);
    const queue = new CompileQueue({ parallel_jobs: 2 });
    const active = new Map<string, number>();
    let overlap = 0;
    let runs = 0;
    const tracked = async (job: CompileJob, signal: AbortSignal): Promise<CompileResult> => {
      const n = (active.get(job.object) ?? 0) + 1;
      active.set(job.object, n);
      if (n > 1) overlap++;
      runs++;
      try {
        return await runCompile(job, setup.identity, { signal });
      } finally {
        active.set(job.object, active.get(job.object)! - 1);
      }
    };
    const build = (build_id: string) =>
      runBuild({
        config,
        request: REQUEST,
        build_id,
        compilerIdentity: setup.identity,
        compile: (job, signal) => queue.run(job, tracked, { signal }),
      });
    const [a, b] = await Promise.all([build('a'), build('b')]);
    expect(a).toMatchObject({ ok: true, failed: 0 });
    expect(b).toMatchObject({ ok: true, failed: 0 });
    expect(overlap).toBe(0);
    // Requests in flight at once were shared: far fewer than 2 × 5 runs.
    expect(runs).toBeGreaterThanOrEqual(5);
    expect(runs).toBeLessThan(10);
    expect(queue.stats()).toMatchObject({ running: 0, queued: 0, failed: 0 });
    expect(runProgram(root, 'build/bin/wide')).toBe('10\n');

    // Both builds' records survived their two saves: the next build has nothing to do.
    const { compile, compiled } = countingCompiler(setup.identity);
    const again = await runBuild({ config, request: REQUEST, compile, compilerIdentity: setup.identity });
    expect(again).toMatchObject({ ok: true, compiled: 0, upToDate: 5, linked: 0 });
    expect(compiled).toEqual([]);
  });

  it('an aborted build leaves no temp files, records only finished objects, and the next build is right', async () => {
    const root = project(WIDE_FILES);
    const config = wideConfig(root);
    const ctl = new AbortController();
    const finished: string[] = [];
    let spawned = 0;
    const compile = async (job: CompileJob, signal: AbortSignal) => {
      const r = await runCompile(job, setup.identity, {
        signal,
        onSpawn: () => {
          // Abort while the third compiler is running.
          if (++spawned === 3) ctl.abort();
        },
      });
      if (r.outcome === 'compiled') finished.push(job.object);
      return r;
    };
    const summary = await runBuild({ config, request: { ...REQUEST, jobs: 1 }, compile, compilerIdentity: setup.identity, signal: ctl.signal });
    expect(summary.ok).toBe(false);
    expect(summary.error).toBe('build cancelled');
    expect(finished.length).toBe(2);
    expect(tempFiles(root)).toEqual([]);
    expect(existsSync(join(root, 'build/bin/wide'))).toBe(false);

    const state = await BuildState.load(root);
    const recorded = Object.keys(state.snapshot().objects).sort();
    expect(recorded).toEqual([...finished].sort());
    for (const o of recorded) expect(existsSync(join(root, o))).toBe(true);

    const next = countingCompiler(setup.identity);
    const r = await runBuild({ config, request: REQUEST, compile: next.compile, compilerIdentity: setup.identity });
    expect(r).toMatchObject({ ok: true, compiled: 3, upToDate: 2, linked: 1 });
    expect(runProgram(root, 'build/bin/wide')).toBe('10\n');
  });

  it('cancelling a build in the CompileQueue kills its running compiler and cleans up', async () => {
    const root = project(WIDE_FILES);
    const config = wideConfig(root);
    const queue = new CompileQueue({ parallel_jobs: 1 });
    const ctl = new AbortController();
    const summaryP = runBuild({
      config,
      request: REQUEST,
      build_id: 'doomed',
      compilerIdentity: setup.identity,
      signal: ctl.signal,
      compile: (job, signal) =>
        queue.run(job, (j, s) => runCompile(j, setup.identity, { signal: s, onSpawn: () => (queue.cancel('doomed'), ctl.abort()) }), { signal }),
    });
    const summary = await summaryP;
    expect(summary).toMatchObject({ ok: false, error: 'build cancelled', compiled: 0 });
    await queue.onIdle();
    expect(queue.stats()).toMatchObject({ running: 0, queued: 0 });
    expect(queue.stats().cancelled).toBeGreaterThanOrEqual(1);
    expect(tempFiles(root)).toEqual([]);
    expect(listFiles(join(root, 'build')).filter((f) => f.endsWith('.o'))).toEqual([]);
  });

  it('a compile killed by SIGKILL of its process group never leaves a partial object, and keeps the old one', async () => {
    const root = project(CALC_FILES);
    const config = calcConfig(root);
    const job = compileJobFor(config, config.targets[0]!, 'src/lib/add.cpp');
    const objAbs = join(root, job.object);

    const killed = await runCompile(job, setup.identity, { onSpawn: (pid) => process.kill(-pid, 'SIGKILL') });
    expect(killed.outcome).toBe('failed');
    expect(killed.exit_code).toBe(137);
    expect(killed.stderr).toMatch(/killed by SIGKILL/);
    expect(existsSync(objAbs)).toBe(false);
    expect(tempFiles(root)).toEqual([]);

    const good = await runCompile(job, setup.identity);
    expect(good.outcome).toBe('compiled');
    const before = readFileSync(objAbs);
    writeFileSync(join(root, 'src/lib/add.cpp'), '#include "calc/calc.h"\nint add(int a, int b) { return b + a + 0; }\n');
    const again = await runCompile(job, setup.identity, { onSpawn: (pid) => process.kill(-pid, 'SIGKILL') });
    expect(again.outcome).toBe('failed');
    expect(readFileSync(objAbs).equals(before)).toBe(true);
    expect(tempFiles(root)).toEqual([]);
  });

  it('a header edited while its TU compiles is recorded as unknown, so the next build recompiles', async () => {
    const root = project(CALC_FILES);
    const config = calcConfig(root);
    const compile = async (job: CompileJob, signal: AbortSignal) => {
      const r = await runCompile(job, setup.identity, { signal });
      // The edit lands after the compiler read the header, before the engine hashes it.
      if (job.source === 'src/lib/add.cpp') writeFileSync(join(root, 'include/calc/extra.h'), '#pragma once\nconstexpr int kExtra = 1; // late\n');
      return r;
    };
    const first = await runBuild({ config, request: { ...REQUEST, jobs: 1 }, compile, compilerIdentity: setup.identity });
    expect(first.ok).toBe(true);
    const rec = (await BuildState.load(root)).getObject('build/obj/calc/src/lib/add.cpp.o')!;
    expect(rec.headers.find((h) => h.path === 'include/calc/extra.h')!.hash).toBe('');

    const next = countingCompiler(setup.identity);
    await runBuild({ config, request: REQUEST, compile: next.compile, compilerIdentity: setup.identity });
    expect(next.compiled).toContain('build/obj/calc/src/lib/add.cpp.o');
  });
});
