// Compile results in their two forms (result.ts): the local tier's header + object
// content file, restored by a copy; the v1 blob further tiers keep, and older caches
// hold, still restored, and rewritten locally in the new form.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacache } from '../../cache/cacache-api.js';
import { decodeAnyResult, decodeResult, encodeResult, encodeResultHeader, type StoredResult } from '../../cache/result.js';
import { ResultStore } from '../../cache/result-store.js';
import { TieredStore } from '../../cache/tiered-store.js';
import { contentPathOf, LocalTier, storeKey } from '../../cache/tiers/local.js';
import { CorruptEntryError } from '../../cache/blob.js';
import type { CompileJob } from '../../protocol/build.js';
import { MemoryTier } from '../helpers/memory-tier.js';
import { INLINE_MAX_BYTES } from '../../cache/object-files.js';

let dir: string;
let proj: string;
let local: LocalTier;
let remote: MemoryTier;
let store: TieredStore;
let corrupt: string[];
let later: Promise<void>[];
let results: ResultStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-results-'));
  proj = join(dir, 'proj');
  local = new LocalTier(join(dir, 'store'));
  remote = new MemoryTier('remote');
  store = new TieredStore([local, remote]);
  corrupt = [];
  later = [];
  results = new ResultStore(store, local, 0, (key, why) => corrupt.push(`${key}: ${why}`), (w) => void later.push(w()));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const stored: StoredResult = {
  object: Buffer.from('\x7fELF the object bytes'),
  depfile: 'build/a.o: src/a.cpp include/a.h\n',
  depfileTarget: 'build/a.o',
  stderr: 'a warning\n',
  createdMs: 7,
  headers: ['include/a.h'],
};
// -MD: the restore writes a depfile only when the TU's flags ask for one (hit-depfile.test.ts).
const job = (object = 'build/a.o'): CompileJob => ({ cwd: proj, compiler: 'g++', args: ['-MD', '-c', 'src/a.cpp'], source: 'src/a.cpp', object, depfile: object.replace(/\.o$/, '.d') });
const identity = { id: 'cc', cache_id: 'cc', path: '/usr/bin/g++', kind: 'gcc' } as const;

describe('result forms', () => {
  it('a v2 header names its object and carries no payload; v1 round-trips; a bad reference is corrupt', () => {
    const h = encodeResultHeader(stored, { integrity: 'sha512-abc', size: 21 });
    expect(h.length).toBeLessThan(400);
    expect(decodeAnyResult(h)).toEqual({ ...stored, object: undefined, objectRef: { integrity: 'sha512-abc', size: 21 } });
    expect(() => decodeResult(h)).toThrow(CorruptEntryError);
    expect(decodeAnyResult(encodeResult(stored))).toEqual(stored);
    expect(() => decodeAnyResult(encodeResultHeader(stored, { integrity: 'sha512-abc', size: 0 }))).toThrow(CorruptEntryError);
  });

  it('contentPathOf finds cacache content by its integrity', async () => {
    await local.put('object', 'k', stored.object);
    const info = (await cacache.get.info(local.dir, storeKey('object', 'k')))!;
    expect(contentPathOf(local.dir, info.integrity)).toBe(info.path);
    expect(contentPathOf(local.dir, 'md5-xyz')).toBeNull();
  });
});

describe('ResultStore', () => {
  it('keeps the object as its own content file locally and a v1 blob remotely; restores a copy', async () => {
    await results.save('k', stored);
    await store.settled();
    const obj = (await cacache.get.info(local.dir, storeKey('object', 'k')))!;
    expect(readFileSync(obj.path).equals(stored.object)).toBe(true);
    const header = (await local.get('result', 'k'))!.data;
    expect(decodeAnyResult(header).objectRef).toEqual({ integrity: obj.integrity, size: stored.object.length });
    expect(decodeResult(remote.entries.get('result:k')!.data)).toEqual(stored);
    expect(remote.entries.has('object:k')).toBe(false);

    const r = (await results.load('k'))!;
    const out = (await results.restore(job('build/b.o'), identity, 'k', r, performance.now()))!;
    expect(out).toMatchObject({ outcome: 'cached', stderr: 'a warning\n', headers: ['include/a.h'] });
    expect(readFileSync(join(proj, 'build/b.o')).equals(stored.object)).toBe(true);
    expect(readFileSync(join(proj, 'build/b.d'), 'utf8')).toBe('build/b.o: src/a.cpp include/a.h\n');
    // A copy: writing the output leaves the content file alone.
    writeFileSync(join(proj, 'build/b.o'), 'changed');
    expect(readFileSync(obj.path).equals(stored.object)).toBe(true);
  });

  it('a v1 blob in the local tier (an older cache) is restored, then rewritten in the local form', async () => {
    await local.put('result', 'k', encodeResult(stored));
    const r = (await results.load('k'))!;
    expect(r.object?.equals(stored.object)).toBe(true);
    expect((await results.restore(job(), identity, 'k', r, performance.now()))?.outcome).toBe('cached');
    expect(readFileSync(join(proj, 'build/a.o')).equals(stored.object)).toBe(true);
    await Promise.all(later);
    expect(decodeAnyResult((await local.get('result', 'k'))!.data).objectRef?.size).toBe(stored.object.length);
    expect(await cacache.get.info(local.dir, storeKey('object', 'k'))).not.toBeNull();
    expect(remote.puts).toBe(0);
  });

  it('a v1 blob from the remote tier is restored from its bytes', async () => {
    await remote.put('result', 'k', encodeResult(stored));
    const r = (await results.load('k'))!;
    expect((await results.restore(job(), identity, 'k', r, performance.now()))?.outcome).toBe('cached');
    expect(readFileSync(join(proj, 'build/a.o')).equals(stored.object)).toBe(true);
  });

  it('a damaged small object (read, checked, written) is never restored, even after a hit remembered its stamp', async () => {
    await results.save('k', stored);
    const path = (await cacache.get.info(local.dir, storeKey('object', 'k')))!.path;
    const r = (await results.load('k'))!;
    // Checked fully once (its stamp remembered: the racy window is 0 here), then restored
    // again unhashed, then changed in place at the same size: the moved stamp is re-checked.
    for (let i = 0; i < 2; i++) expect((await results.restore(job(), identity, 'k', r, performance.now()))?.outcome).toBe('cached');
    expect(readFileSync(join(proj, 'build/a.o')).equals(stored.object)).toBe(true);
    await new Promise((res) => setTimeout(res, 5));
    const b = readFileSync(path);
    b[3]! ^= 1;
    writeFileSync(path, b);
    expect(await results.restore(job(), identity, 'k', r, performance.now())).toBeNull();
    expect(corrupt).toHaveLength(1);
    expect(await local.get('result', 'k')).toBeNull();
  });

  it('a damaged large object (copied) is never restored: the entry goes, counted as corrupt; a gone one is a plain miss', async () => {
    const big = Buffer.alloc(INLINE_MAX_BYTES + 1, 9);
    await results.save('k', { ...stored, object: big });
    const path = (await cacache.get.info(local.dir, storeKey('object', 'k')))!.path;
    const r = (await results.load('k'))!;
    // Checked fully once (its stamp remembered), then changed in place at the same size.
    expect(await results.restore(job(), identity, 'k', r, performance.now())).not.toBeNull();
    expect(readFileSync(join(proj, 'build/a.o')).equals(big)).toBe(true);
    const b = readFileSync(path);
    b[3]! ^= 1;
    await new Promise((res) => setTimeout(res, 5));
    writeFileSync(path, b);
    rmSync(join(proj, 'build'), { recursive: true });
    expect(await results.restore(job(), identity, 'k', r, performance.now())).toBeNull();
    expect(corrupt).toHaveLength(1);
    expect(await local.get('result', 'k')).toBeNull();
    expect(await cacache.get.info(local.dir, storeKey('object', 'k'))).toBeNull();
    expect(() => readFileSync(join(proj, 'build/a.o'))).toThrow();

    await results.save('k2', { ...stored, object: big });
    const r2 = (await results.load('k2'))!;
    rmSync((await cacache.get.info(local.dir, storeKey('object', 'k2')))!.path);
    expect(await results.restore(job(), identity, 'k2', r2, performance.now())).toBeNull();
    expect(corrupt).toHaveLength(1);
  });
});
