// Stores held while the compiles fill the cores (background-stores.ts holdBytes): they
// run once a core is spare, at once for a lookup of their key, a flush or past the memory
// bound, and a later build hits either way.

import { afterEach, describe, expect, it } from 'vitest';
import { compileEnded, compileStarted, CORES, QUIET_MS } from '../../cache/compile-activity.js';
import { compile, counts, openCache, setup, sleep, type Env } from './cache-fixtures.js';

let env: (Env & { dispose(): void }) | undefined;
/** Compiles of other jobs "in flight" on every core while a test runs (ended in afterEach if still held). */
let othersInFlight = 0;
const otherCompilesStart = () => {
  for (let i = 0; i < CORES; i++) compileStarted();
  othersInFlight += CORES;
};
/** One of them ends: a core is spare. */
const otherCompileEnds = () => {
  compileEnded();
  othersInFlight--;
};
afterEach(() => {
  while (othersInFlight > 0) otherCompileEnds();
  env?.dispose();
  env = undefined;
});

/** Compiles a.cpp through a holding cache while another compile is in flight. */
async function missWhileBusy(holdStoresBytes = 64 << 20) {
  env = await setup({ storeInBackground: true, holdStoresBytes });
  const { p, cache } = env;
  p.write('src/a.cpp', '#include <vector>\nint a() { return std::vector<int>{1, 2}.size(); }\n');
  await p.settle();
  const job = p.job('src/a.cpp', ['-O0']);
  otherCompilesStart();
  expect((await compile(cache, job, env.run)).outcome).toBe('compiled');
  // Long past the answer and the quiet time: still held, the other compile runs on.
  await sleep(QUIET_MS * 4);
  return { ...env, job };
}

/** Whether another process's cache (nothing held there) finds a.cpp's result now. */
async function storedForOthers(e: Env & { job: ReturnType<Env['p']['job']> }): Promise<boolean> {
  const other = await openCache(e.dir);
  e.p.rm('build');
  const r = await compile(other, e.job);
  await other.close();
  return r.outcome === 'cached';
}

describe('stores held while the compiles fill the cores', () => {
  it('waits while compiles fill the cores, runs once one is spare, and a later build hits', async () => {
    const e = await missWhileBusy();
    expect(e.cache.heldStores).toBe(1);
    otherCompileEnds();
    await sleep(QUIET_MS * 4);
    expect(e.cache.heldStores).toBe(0);
    await e.cache.flush();
    expect(await storedForOthers(e)).toBe(true);
  });

  it('is not written while held: nothing for another cache to find yet', async () => {
    const e = await missWhileBusy();
    expect(await storedForOthers(e)).toBe(false);
  });

  it('a lookup of the held key runs its store first and hits', async () => {
    const e = await missWhileBusy();
    e.p.rm('build');
    const r = await compile(e.cache, e.job, e.run);
    expect(r.outcome).toBe('cached');
    expect(e.run.calls).toBe(1);
  });

  it('flush() runs held stores although a compile is still in flight (a daemon stopping)', async () => {
    const e = await missWhileBusy();
    expect(e.cache.heldStores).toBe(1);
    await e.cache.flush();
    expect(e.cache.heldStores).toBe(0);
    expect((await counts(e.cache)).misses).toBe(1);
    expect(await storedForOthers(e)).toBe(true);
  });

  it('past the memory bound a store runs at once, during the compiles', async () => {
    const e = await missWhileBusy(1);
    expect(e.cache.heldStores).toBe(0);
    await e.cache.flush();
    expect(await storedForOthers(e)).toBe(true);
  });
});
