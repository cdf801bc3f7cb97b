// Longest work first, with the real g++: a build records each TU's compile time
// and each target's link time, and the next build that recompiles them starts
// the TU with the longest recorded remaining work first; the program is the same.
// In-process (the engine), then through the real daemons.

import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { BuildRequest, CompileJob, CompileResult } from '../../protocol/build.js';
import type { ProjectConfig } from '../../config/types.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { runBuild } from '../../daemons/orchestrator/build-engine.js';
import { BuildState } from '../../daemons/orchestrator/build-state.js';
import { calcConfig, engineTestSetup, runProgram } from './build-engine-fixture.js';
import { cliSync, projectsPerTest } from '../helpers/project.js';
import { daemonBuildEvents } from '../helpers/daemon-build.js';

const REQUEST: BuildRequest = { targets: [], jobs: 1, keep_going: false, verbose: false };
const ADD = 'build/obj/calc/src/lib/add.cpp.o';
const TWICE = 'build/obj/calc/src/lib/twice.cpp.o';
const MAIN = 'build/obj/app/src/app/main.cpp.o';

const setup = engineTestSetup();

/** One slot, so the order the engine starts compiles in is the order they run in. */
async function build(config: ProjectConfig) {
  const started: string[] = [];
  const compile = async (job: CompileJob, signal: AbortSignal): Promise<CompileResult> => {
    started.push(job.object);
    return runCompile(job, setup.identity, { signal });
  };
  const summary = await runBuild({ config, request: REQUEST, compile, compilerIdentity: setup.identity });
  return { summary, started };
}

function withFlags(config: ProjectConfig, flags: string[]): ProjectConfig {
  return { ...config, targets: config.targets.map((t) => ({ ...t, flags })) };
}

describe('longest work first', () => {
  it('records compile and link times, then starts the TU with the longest recorded work first', async () => {
    const root = setup.project();
    const config = calcConfig(root);
    const cold = await build(config);
    expect(cold.summary).toMatchObject({ ok: true, compiled: 3, linked: 2 });
    // Knowing no times, the library (whose archive the program's link waits for) goes first.
    expect(cold.started).toEqual([ADD, TWICE, MAIN]);
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 0\n');

    const state = await BuildState.load(root);
    for (const o of [ADD, TWICE, MAIN]) expect(state.getObject(o)?.compile_ms).toBeGreaterThan(0);
    for (const t of ['calc', 'app']) expect(state.getLink(t)?.link_ms).toBeGreaterThanOrEqual(0);

    // What a past build could have measured: main the slowest, then twice, then add.
    for (const [o, ms] of [[ADD, 10], [TWICE, 500], [MAIN, 60_000]] as const) state.setObject(o, { ...state.getObject(o)!, compile_ms: ms });
    await state.save();

    // A flag change makes every TU dirty.
    const again = await build(withFlags(config, ['-O1']));
    expect(again.summary).toMatchObject({ ok: true, compiled: 3, linked: 2 });
    expect(again.started).toEqual([MAIN, TWICE, ADD]);
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 0\n');
    // The new times replace the made-up ones.
    const after = await BuildState.load(root);
    expect(after.getObject(MAIN)?.compile_ms).toBeLessThan(60_000);
  });
});

const project = projectsPerTest();

describe('longest work first through the daemons', () => {
  it('the orchestrator reads the recorded times and sends the slowest TU first', async () => {
    const files: Record<string, string> = {
      'src/main.cpp': '#include <cstdio>\nint fa(); int fb(); int fc();\nint main() { std::printf("%d\\n", fa() + fb() + fc()); return 0; }\n',
      'src/a.cpp': 'int fa() { return 1; }\n',
      'src/b.cpp': 'int fb() { return 20; }\n',
      'src/c.cpp': 'int fc() { return 300; }\n',
    };
    const p = project(files);
    expect(cliSync(['start'], p).code).toBe(0);
    const build = async () => (await daemonBuildEvents(p, 1)).flatMap((e) => (e.type === 'tu_start' ? [e.source] : []));
    expect(await build()).toHaveLength(4);
    expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('321\n');

    const state = await BuildState.load(p.root);
    const bySource = new Map(['src/a.cpp', 'src/b.cpp', 'src/c.cpp', 'src/main.cpp'].map((s) => [s, `build/obj/app/${s}.o`]));
    for (const o of bySource.values()) expect(state.getObject(o)?.compile_ms, o).toBeGreaterThan(0);
    const recorded: Record<string, number> = { 'src/a.cpp': 300, 'src/b.cpp': 9000, 'src/c.cpp': 20, 'src/main.cpp': 4000 };
    for (const [s, o] of bySource) state.setObject(o, { ...state.getObject(o)!, compile_ms: recorded[s]! });
    await state.save();

    // New flags: every TU is dirty, and the compile cache has none of them.
    p.write('replibuild.toml', p.read('replibuild.toml') + '\n[compiler]\nflags = ["-O1"]\n');
    expect(await build()).toEqual(['src/b.cpp', 'src/main.cpp', 'src/a.cpp', 'src/c.cpp']);
    expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('321\n');
  });
});
