// The cleanup's walk over an index of a few thousand entries (a bucket at a time): LRU order and the size limit hold, objects go with
// their owners, and nothing referenced is taken for garbage.

import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacache } from '../../cache/cacache-api.js';
import { cleanup } from '../../cache/cleanup.js';
import { storeKey, storeUsage } from '../../cache/tiers/local.js';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rb-cleanup-walk-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const N = 1_500;
const BLOB = 100;
const key = (i: number) => `k${String(i).padStart(5, '0')}`;

/** N results, each with its object: result i last used i seconds after a base time. */
async function populate(store: string): Promise<void> {
  const base = Date.now() / 1000 - 10 * N;
  let next = 0;
  const worker = async () => {
    while (next < N) {
      const i = next++;
      const r = await cacache.put(store, storeKey('result', key(i)), Buffer.alloc(BLOB, `r${i}.`));
      const o = await cacache.put(store, storeKey('object', key(i)), Buffer.alloc(BLOB, `o${i}.`));
      for (const integrity of [r, o]) utimesSync(cacache.index.contentPath(store, integrity), base + i, base + i);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

describe('cleanup over a big index', () => {
  it('evicts the least recently used pairs down to the limit', async () => {
    const store = join(root, 'store');
    await populate(store);
    const before = await storeUsage(store);
    expect(before).toEqual({ size_bytes: 2 * N * BLOB, entries: N, manifests: 0 });
    const keep = 1_000;
    const r = await cleanup(root, { maxSizeBytes: keep * 2 * BLOB });
    expect(r.evicted).toBe(N - keep);
    expect(r.size_bytes).toBe(keep * 2 * BLOB);
    expect(r.entries).toBe(keep);
    expect(r.garbage_files).toBe(0);
    const left = Object.keys(await cacache.ls(store)).sort();
    // The newest `keep` results and their objects, nothing else.
    const want = [];
    for (let i = N - keep; i < N; i++) want.push(storeKey('object', key(i)), storeKey('result', key(i)));
    expect(left).toEqual(want.sort());
    for (const k of left) expect(await cacache.get.info(store, k)).not.toBeNull();
  });
});
