// A restored object is the build's own file: whatever restores it (a write today; a
// copy_file_range or a reflink from the cache's content file tomorrow), writing to
// the object afterwards, in place, must never reach the cache. Hard links would fail
// this test, which is why the restore never links.

import { appendFileSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../cache/cleanup.js';
import { compile, counts, setup, type Env } from './cache-fixtures.js';

let env: Env & { dispose(): void };
afterEach(() => env?.dispose());

/** sha256 of every content file of the store, by path. */
function contentDigests(cacheDir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p, createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(join(cacheDir, 'store', 'content-v2'));
  return out;
}

describe('a restored object is the build\'s, never the cache\'s', () => {
  it('restore, append to the object in place, restore again: the cache bytes are intact and verify is clean', async () => {
    env = await setup();
    const { p, cache, dir } = env;
    p.write('a.cpp', 'int answer() { return 42; }\n');
    await p.settle();
    const job = p.job('a.cpp', ['-O2']);
    expect((await compile(cache, job, env.run)).outcome).toBe('compiled');
    await cache.flush();
    const original = p.read(job.object);
    const stored = contentDigests(dir);
    expect(stored.size).toBeGreaterThan(0);

    p.rm('build');
    expect((await compile(cache, job, env.run)).outcome).toBe('cached');
    expect(p.read(job.object).equals(original)).toBe(true);
    // In place, through the same inode (what a linker's or objcopy's in-place edit would do).
    appendFileSync(p.path(job.object), 'appended by a tool after the restore');
    writeFileSync(p.path(job.depfile), 'overwritten:\n');
    expect(contentDigests(dir)).toEqual(stored);

    p.rm('build');
    const again = await compile(cache, job, env.run);
    expect(again.outcome).toBe('cached');
    expect(p.read(job.object).equals(original)).toBe(true);
    expect(env.run.calls).toBe(1);
    expect(contentDigests(dir)).toEqual(stored);
    const report = await verify(dir);
    expect(report.problems).toEqual([]);
    expect(report.checked).toBeGreaterThan(0);
    expect((await counts(cache)).errors).toBe(0);
  });
});
