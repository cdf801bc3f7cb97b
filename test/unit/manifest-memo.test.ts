// The compile daemon's decoded manifests (manifest-memo.ts): records repeated across
// manifests are kept once, without changing what a load returns or a save writes, and
// a memo a build overflowed is dropped when the daemon goes quiet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeManifest, encodeManifest, type ManifestEntry } from '../../cache/manifest.js';
import { ManifestMemo } from '../../cache/manifest-memo.js';
import { TieredStore } from '../../cache/tiered-store.js';
import { LocalTier } from '../../cache/tiers/local.js';

let dir: string;
let local: LocalTier;
let store: TieredStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-manifest-memo-'));
  local = new LocalTier(join(dir, 'store'));
  store = new TieredStore([local]);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const sys = { path: '/usr/include/stdio.h', hash: 'a'.repeat(64), size: 900, mtime_ns: '1000', ctime_ns: '1000', ino: '11', project: false };
const cfg = { path: 'include/config.h', hash: 'b'.repeat(64), size: 40, mtime_ns: '2000', ctime_ns: '2000', ino: '12', project: true, tok: 'c'.repeat(64) };
const dirs = [
  { path: '/usr/include', mtime_ns: '5', ctime_ns: '5', ino: '2' },
  { path: 'include', mtime_ns: '6', ctime_ns: '6', ino: '3', names: 'd'.repeat(64) },
];
const entry = (result: string, own: string): ManifestEntry => ({
  result,
  created_ms: 1,
  blind: true,
  headers: [sys, cfg, { ...cfg, path: own, ino: own.length.toString() }].map((h) => ({ ...h })),
  dirs: dirs.map((d) => ({ ...d })),
  absent: [],
  present: [],
});

describe('ManifestMemo', () => {
  it('keeps records repeated across manifests once; loads and saves see the same manifests as before', async () => {
    const memo = new ManifestMemo(store, local, 50, 1 << 20);
    const a = entry('r-a', 'include/a.h');
    const b = entry('r-b', 'include/b.h');
    await memo.save('k-a', a);
    await memo.save('k-b', b);
    const la = (await memo.load('k-a')).manifest!;
    const lb = (await memo.load('k-b')).manifest!;
    expect(la.entries).toEqual([a]);
    expect(lb.entries).toEqual([b]);
    // The shared parts are one instance; each TU's own header is its own.
    expect(la.entries[0]!.headers[0]).toBe(lb.entries[0]!.headers[0]);
    expect(la.entries[0]!.headers[1]).toBe(lb.entries[0]!.headers[1]);
    expect(la.entries[0]!.dirs).toBe(lb.entries[0]!.dirs);
    expect(la.entries[0]!.headers[2]).not.toBe(lb.entries[0]!.headers[2]);
    expect(la.entries[0]!.headers[2]!.path).toBe('include/a.h');

    // A second entry saved over a kept manifest: what is on disk is exactly both entries.
    const a2 = { ...entry('r-a2', 'include/a.h'), created_ms: 2, headers: [{ ...sys, hash: 'e'.repeat(64) }] };
    await memo.save('k-a', a2);
    const onDisk = decodeManifest((await store.read('manifest', 'k-a'))!.data);
    expect(onDisk.entries).toEqual([a2, a]);
    expect((await new ManifestMemo(store, local, 50, 1 << 20).load('k-a')).manifest!.entries).toEqual([a2, a]);
  });

  it('drops what it keeps when quiet only after a build overflowed it', async () => {
    // Room for one manifest and a half.
    const one = encodeManifest({ version: 1, entries: [entry('r-a', 'include/a.h')] }).length;
    const memo = new ManifestMemo(store, local, 50, Math.round(one * 1.5));
    await memo.save('k-a', entry('r-a', 'include/a.h'));
    memo.trimOverflowed();
    const kept = (await memo.load('k-a')).manifest!;
    expect((await memo.load('k-a')).manifest).toBe(kept);
    await memo.save('k-b', entry('r-b', 'include/b.h'));
    await memo.save('k-c', entry('r-c', 'include/c.h'));
    memo.trimOverflowed();
    // Read back from the store, equal to what was saved.
    const again = (await memo.load('k-a')).manifest!;
    expect(again).not.toBe(kept);
    expect(again.entries).toEqual([entry('r-a', 'include/a.h')]);
  });
});
