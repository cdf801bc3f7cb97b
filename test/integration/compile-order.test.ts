// Longest work first, with the real g++: a build records each TU's compile time
// and each target's link time, and the next build that recompiles them starts
// the TU with the longest recorded remaining work first; the program is the same.

import { describe, it, expect, beforeAll, afterEach } from 'vitest';
import type { BuildRequest, CompileJob, CompileResult } from '../../protocol/build.js';
import type { ProjectConfig } from '../../config/types.js';
import { getCompilerIdentity, type CompilerIdentity } from '../../toolchain/compiler-identity.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { runBuild } from '../../daemons/orchestrator/build-engine.js';
import { BuildState } from '../../daemons/orchestrator/build-state.js';
import { CALC_FILES, calcConfig, makeTempProject, removeTempProject, runProgram } from './build-engine-fixture.js';

const REQUEST: BuildRequest = { targets: [], jobs: 1, keep_going: false, verbose: false };
const ADD = 'build/obj/calc/src/lib/add.cpp.o';
const TWICE = 'build/obj/calc/src/lib/twice.cpp.o';
const MAIN = 'build/obj/app/src/app/main.cpp.o';

let identity: CompilerIdentity;
const roots: string[] = [];
beforeAll(async () => {
  identity = await getCompilerIdentity('g++');
});
afterEach(() => {
  for (const r of roots.splice(0)) removeTempProject(r);
});

/** One slot, so the order the engine starts compiles in is the order they run in. */
async function build(config: ProjectConfig) {
  const started: string[] = [];
  const compile = async (job: CompileJob, signal: AbortSignal): Promise<CompileResult> => {
    started.push(job.object);
    return runCompile(job, identity, { signal });
  };
  const summary = await runBuild({ config, request: REQUEST, compile, compilerIdentity: identity });
  return { summary, started };
}

function withFlags(config: ProjectConfig, flags: string[]): ProjectConfig {
  return { ...config, targets: config.targets.map((t) => ({ ...t, flags })) };
}

describe('longest work first', () => {
  it('records compile and link times, then starts the TU with the longest recorded work first', async () => {
    const root = makeTempProject(CALC_FILES);
    roots.push(root);
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
