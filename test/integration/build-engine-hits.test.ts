// A warm clean rebuild through the engine and the real compile cache: each hit is
// recorded after its job slot is freed (build-engine.ts), and must still be recorded,
// headers and all, before its target links and before the build answers.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildEvent, BuildRequest, CompileJob } from '../../protocol/build.js';
import type { ProjectConfig } from '../../config/types.js';
import { getCompilerIdentity, type CompilerIdentity } from '../../toolchain/compiler-identity.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { runBuild } from '../../daemons/orchestrator/build-engine.js';
import { BuildState } from '../../daemons/orchestrator/build-state.js';
import type { CompileCache } from '../../cache/cached-compile.js';
import { CALC_FILES, calcConfig, makeTempProject, removeTempProject, runProgram } from './build-engine-fixture.js';
import { openCache, settleInputs, tempCacheDir } from './cache-fixtures.js';

const REQUEST: BuildRequest = { targets: [], jobs: 2, keep_going: false, verbose: false };

let identity: CompilerIdentity;
const dirs: string[] = [];
const caches: CompileCache[] = [];

beforeAll(async () => {
  identity = await getCompilerIdentity('g++');
});

afterEach(async () => {
  for (const c of caches.splice(0)) await c.close();
  for (const d of dirs.splice(0)) removeTempProject(d);
});

async function build(config: ProjectConfig, cache: CompileCache) {
  const compiled: string[] = [];
  const events: BuildEvent[] = [];
  const compile = async (job: CompileJob, signal: AbortSignal) => {
    const r = await cache.compile(job, identity, runCompile, { signal });
    if (r.outcome === 'compiled') compiled.push(job.object);
    return r;
  };
  const summary = await runBuild({ config, request: REQUEST, compile, compilerIdentity: identity, onEvent: (e) => events.push(e) });
  return { summary, compiled: compiled.sort(), events };
}

/** The calc project built cold into a fresh cache, then its build dir removed (and its
 *  build state, with `dropState`): the next build is a warm clean rebuild. */
async function builtThenRemoved(dropState: boolean) {
  const root = makeTempProject(CALC_FILES);
  const cacheDir = tempCacheDir();
  dirs.push(root, cacheDir);
  const cache = await openCache(cacheDir);
  caches.push(cache);
  const config = calcConfig(root);
  // Sources written a moment ago compile right but are not stored (too new to trust).
  await settleInputs();
  expect((await build(config, cache)).summary).toMatchObject({ ok: true, compiled: 3, cached: 0 });
  await cache.flush();
  rmSync(join(root, 'build'), { recursive: true });
  if (dropState) rmSync(join(root, '.replibuild', 'state'), { recursive: true, force: true });
  return { root, cache, config };
}

describe('warm clean rebuild through the engine', () => {
  it('every hit is recorded before its link and before the build ends: the next build is a no-op, a header edit reaches the hits', async () => {
    const { root, cache, config } = await builtThenRemoved(true);

    const warm = await build(config, cache);
    expect(warm.summary).toMatchObject({ ok: true, compiled: 0, cached: 3, linked: 2, failed: 0 });
    expect(warm.compiled).toEqual([]);
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 0\n');
    // A target links only after each of its TUs was told (and so recorded) as done.
    const order = warm.events.filter((e) => e.type === 'tu' || e.type === 'link').map((e) => (e.type === 'tu' ? e.source : `link ${e.target}`));
    expect(order.indexOf('link calc')).toBeGreaterThan(Math.max(order.indexOf('src/lib/add.cpp'), order.indexOf('src/lib/twice.cpp')));
    expect(order.indexOf('link app')).toBeGreaterThan(order.indexOf('src/app/main.cpp'));
    expect(warm.events.filter((e) => e.type === 'tu').every((e) => e.type === 'tu' && e.outcome === 'cached')).toBe(true);

    // The hits' records hold: nothing to do next...
    expect((await build(config, cache)).summary).toMatchObject({ ok: true, compiled: 0, cached: 0, upToDate: 3, linked: 0 });
    // ...and they name the headers the hits read: an edit of one reaches exactly its includers.
    writeFileSync(join(root, 'include/calc/extra.h'), '#pragma once\nconstexpr int kExtra = 2;\n');
    const edited = await build(config, cache);
    expect(edited.summary).toMatchObject({ ok: true, upToDate: 1 });
    expect(edited.compiled).toEqual(['build/obj/app/src/app/main.cpp.o', 'build/obj/calc/src/lib/add.cpp.o']);
    expect(runProgram(root, 'build/bin/app')).toBe('6 9 1\n');
  });
});

describe('stats shared by the hits of one build (cache/build-stats.ts)', () => {
  it.each([
    ['build state removed too', true],
    ['build state kept (the hashes taken at each TU\'s start are newer than the stat)', false],
  ])('a header edited mid-build, after a hit statted it (%s): the later hits reuse that stat, and their records do not vouch for the new text', async (_name, dropState) => {
    const { root, cache, config } = await builtThenRemoved(dropState);

    // One TU at a time; once the first of the two that read extra.h is back, extra.h changes.
    const readers = ['src/lib/add.cpp', 'src/app/main.cpp'];
    const outcomes = new Map<string, string>();
    let firstReader: string | null = null;
    const compile = async (job: CompileJob, signal: AbortSignal) => {
      const r = await cache.compile(job, identity, runCompile, { signal });
      outcomes.set(job.source, r.outcome);
      if (firstReader === null && readers.includes(job.source)) {
        firstReader = job.source;
        writeFileSync(join(root, 'include/calc/extra.h'), '#pragma once\nconstexpr int kExtra = 2;\n');
      }
      return r;
    };
    const mid = await runBuild({ config, request: { ...REQUEST, jobs: 1 }, compile, compilerIdentity: identity, onEvent: () => undefined });
    expect(mid).toMatchObject({ ok: true, compiled: 0, cached: 3 });
    // The case this test is about: the other reader was served on the stat of extra.h taken before the edit.
    const later = readers.find((s) => s !== firstReader)!;
    expect(outcomes.get(later)).toBe('cached');

    // So the next build must not take that object as built from the new extra.h.
    const next = await build(config, cache);
    expect(next.summary).toMatchObject({ ok: true });
    expect(next.compiled).toContain(later === 'src/lib/add.cpp' ? 'build/obj/calc/src/lib/add.cpp.o' : 'build/obj/app/src/app/main.cpp.o');
    expect(runProgram(root, 'build/bin/app')).toBe('6 9 1\n');
  });

  it('a hit checked with earlier stats records a source only if it has not changed since those stats', async () => {
    const root = makeTempProject(CALC_FILES);
    dirs.push(root);
    const config = calcConfig(root);
    const TWICE = 'src/lib/twice.cpp';
    await new Promise((r) => setTimeout(r, 30));
    // What a cache hit says when its stats were taken before the compile was asked for:
    // here, after the project was written, and before twice.cpp was written again (the
    // same text: only its time tells).
    const checkedMs = Date.now() - 5;
    await new Promise((r) => setTimeout(r, 15));
    writeFileSync(join(root, TWICE), CALC_FILES[TWICE]!);
    const compile = async (job: CompileJob, signal: AbortSignal) => ({ ...(await runCompile(job, identity, { signal })), inputs_checked_ms: checkedMs });
    const summary = await runBuild({ config, request: REQUEST, compile, compilerIdentity: identity });
    expect(summary).toMatchObject({ ok: true, compiled: 3 });
    const state = await BuildState.load(root);
    const rec = (source: string) => state.getObject(`build/obj/${source.includes('/lib/') ? 'calc' : 'app'}/${source}.o`);
    // Unchanged since the stats: its hash. Written after them (as it may have been, for all
    // the stats tell, after the hit was looked up): unknown, so the next build compiles it.
    expect(rec('src/lib/add.cpp')?.source_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rec('src/app/main.cpp')?.source_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rec(TWICE)?.source_hash).toBe('');
  });
});
