import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheStats, buildReport, emptyCounters, foldDeltas, readCounters, zeroCounters } from '../../cache/stats.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-stats-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('CacheStats', () => {
  it('survives a restart (a new instance reads what the old one flushed)', async () => {
    const a = new CacheStats(dir, -1);
    a.hit('direct', 4);
    a.hit('preprocessed', 6);
    a.miss(100);
    a.uncacheable('multiple source files');
    a.error();
    await a.flush();
    const b = new CacheStats(dir, -1);
    const c = await b.read();
    expect(c.direct_hits).toBe(1);
    expect(c.preprocessed_hits).toBe(1);
    expect(c.misses).toBe(1);
    expect(c.uncacheable).toEqual({ 'multiple source files': 1 });
    expect(c.errors).toBe(1);
  });

  it('includes unflushed counts in read()', async () => {
    const a = new CacheStats(dir, -1);
    a.miss(1);
    expect((await a.read()).misses).toBe(1);
    expect((await readCounters(dir)).misses).toBe(0);
  });

  it('merges many writers without losing a count', async () => {
    const writers = Array.from({ length: 8 }, () => new CacheStats(dir, -1));
    await Promise.all(
      writers.map(async (w) => {
        for (let i = 0; i < 25; i++) {
          w.miss(1);
          w.uncacheable('x');
          await w.flush(); // many delta files, several folds racing for the lock
        }
      }),
    );
    const c = await readCounters(dir);
    expect(c.misses).toBe(200);
    expect(c.uncacheable.x).toBe(200);
    await foldDeltas(dir);
    expect((await readCounters(dir)).misses).toBe(200);
    expect(readdirSync(dir).filter((n) => n.startsWith('delta-'))).toEqual([]);
  });

  it('can be zeroed', async () => {
    const a = new CacheStats(dir, -1);
    a.miss(1);
    await a.flush();
    await zeroCounters(dir);
    expect((await readCounters(dir)).misses).toBe(0);
  });
});

describe('buildReport', () => {
  it('has the fields the CLI prints', () => {
    const c = emptyCounters();
    c.direct_hits = 3;
    c.preprocessed_hits = 1;
    c.misses = 4;
    c.hit_ms_total = 20;
    c.miss_ms_total = 400;
    c.uncacheable = { '-E': 2, 'called for link': 1 };
    const r = buildReport(c, { size_bytes: 123, entries: 4 }, '/c', 1024);
    expect(r).toMatchObject({
      hits: 4,
      misses: 4,
      hit_rate: 0.5,
      uncacheable: 3,
      errors: 0,
      size_bytes: 123,
      max_size_bytes: 1024,
      entries: 4,
      evictions: 0,
      mean_hit_ms: 5,
      mean_miss_ms: 100,
    });
  });
});
