// max_cache_size (LRU), cache_ttl, verify and clear (CACHE-SCENARIOS.md 16).

import { readFileSync, utimesSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cacache } from '../../cache/cacache-api.js';
import { cleanup, clear, verify } from '../../cache/cleanup.js';
import { storeKey, storeUsage } from '../../cache/tiers/local.js';
import { compile, counts, setup, sleep, type Env } from './cache-fixtures.js';

let env: Env & { dispose(): void };
afterEach(() => env?.dispose());

async function threeCompiled(e: Env) {
  const { p, cache, run } = e;
  for (const n of ['a', 'b', 'c']) p.write(`src/${n}.cpp`, `int ${n}() { return ${n.charCodeAt(0)}; }\n`);
  await p.settle();
  const jobs = Object.fromEntries(['a', 'b', 'c'].map((n) => [n, p.job(`src/${n}.cpp`, ['-O1'])]));
  for (const n of ['a', 'b', 'c']) {
    await compile(cache, jobs[n]!, run);
    await sleep(30); // distinct last-use times
  }
  return jobs;
}

describe('cleanup', () => {
  it('evicts least recently used entries beyond the size limit (ccache cleanup "size limit")', async () => {
    env = await setup();
    const { cache, dir, run, p } = env;
    const jobs = await threeCompiled(env);
    // Use a: b is now the least recently used.
    expect((await compile(cache, jobs.a!, run)).outcome).toBe('cached');
    const before = await storeUsage(join(dir, 'store'));
    const report = await cleanup(dir, { maxSizeBytes: before.size_bytes - 1 }, cache.stats);
    expect(report.evicted).toBeGreaterThanOrEqual(1);
    expect(report.size_bytes).toBeLessThan(before.size_bytes);
    expect((await counts(cache)).evictions).toBe(report.evicted);
    p.rm('build');
    const calls = run.calls;
    expect((await compile(cache, jobs.b!, run)).outcome).toBe('compiled');
    expect((await compile(cache, jobs.a!, run)).outcome).toBe('cached');
    expect((await compile(cache, jobs.c!, run)).outcome).toBe('cached');
    expect(run.calls).toBe(calls + 1);
  });

  it('keeps everything under the limit', async () => {
    env = await setup();
    const { dir } = env;
    await threeCompiled(env);
    const before = await storeUsage(join(dir, 'store'));
    expect((await cleanup(dir, { maxSizeBytes: before.size_bytes })).evicted).toBe(0);
  });

  it('evicts entries unused for longer than cache_ttl', async () => {
    env = await setup();
    const { cache, dir, run } = env;
    const jobs = await threeCompiled(env);
    const all = await cacache.ls(join(dir, 'store'));
    const old = new Date(Date.now() - 2 * 3600_000);
    // a and its manifest have not been used for two hours.
    for (const e of Object.values(all)) {
      const data = await cacache.get.byDigest(join(dir, 'store'), e.integrity);
      if (e.key.startsWith(storeKey('result', '')) && data.includes(Buffer.from('src/a.cpp'))) utimesSync(e.path, old, old);
    }
    const r = await cleanup(dir, { ttlSeconds: 3600 }, cache.stats);
    expect(r.evicted).toBe(1);
    expect((await compile(cache, jobs.a!, run)).outcome).toBe('compiled');
    expect((await compile(cache, jobs.b!, run)).outcome).toBe('cached');
  });

  it('collects content no index entry points to (old manifest versions)', async () => {
    env = await setup();
    const { dir, p, cache, run } = env;
    p.write('include/h.h', 'int h = 1;\n');
    p.write('src/x.cpp', '#include "h.h"\n');
    await p.settle();
    const job = p.job('src/x.cpp', ['-Iinclude']);
    await compile(cache, job, run);
    p.write('include/h.h', 'int h = 2;\n');
    await p.settle();
    await compile(cache, job, run); // the manifest is rewritten with a second entry
    const r = await cleanup(dir, { garbageGraceMs: 0 });
    expect(r.evicted).toBe(0);
    expect(r.garbage_files).toBe(1);
    expect((await verify(dir)).problems).toEqual([]);
    expect((await compile(cache, job, run)).outcome).toBe('cached');
  });
});

describe('verify and clear', () => {
  it('verify removes corrupt entries and counts them', async () => {
    env = await setup();
    const { cache, dir, run } = env;
    const jobs = await threeCompiled(env);
    const results = Object.values(await cacache.ls(join(dir, 'store'))).filter((e) => e.key.startsWith(storeKey('result', '')));
    const victim = results[0]!.path;
    chmodSync(victim, 0o644);
    const b = readFileSync(victim);
    b[b.length - 1] ^= 1;
    writeFileSync(victim, b);
    const r = await verify(dir, cache.stats);
    expect(r.checked).toBe(6);
    expect(r.removed).toBe(1);
    expect((await counts(cache)).errors).toBe(1);
    expect((await verify(dir)).removed).toBe(0);
    for (const j of Object.values(jobs)) expect(['cached', 'compiled']).toContain((await compile(cache, j, run)).outcome);
  });

  it('clear empties the cache; statistics stay', async () => {
    env = await setup();
    const { cache, dir, run } = env;
    const jobs = await threeCompiled(env);
    await clear(dir);
    expect(await storeUsage(join(dir, 'store'))).toEqual({ size_bytes: 0, entries: 0, manifests: 0 });
    expect((await compile(cache, jobs.a!, run)).outcome).toBe('compiled');
    expect((await counts(cache)).misses).toBe(4);
  });
});
