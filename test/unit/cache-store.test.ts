import { mkdtempSync, rmSync, truncateSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacache } from '../../cache/cacache-api.js';
import { CorruptEntryError, decodeBlob, encodeBlob } from '../../cache/blob.js';
import { openStore, type TieredStore } from '../../cache/tiered-store.js';
import { storeKey, storeUsage } from '../../cache/tiers/local.js';
import { decodeResult, encodeResult, retargetDepfile } from '../../cache/result.js';
import { parseDepfile } from '../../toolchain/depfile.js';

let dir: string;
let corrupt: string[];
let store: TieredStore;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-store-'));
  corrupt = [];
  store = openStore(dir, { onCorrupt: (kind, key, why) => corrupt.push(`${kind}:${key}:${why}`) }).store;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const contentPath = async (kind: 'result' | 'manifest', key: string) => (await cacache.get.info(dir, storeKey(kind, key)))!.path;

describe('the store (local tier)', () => {
  it('stores and returns blobs', async () => {
    await store.put('result', 'k', Buffer.from('hello'));
    expect((await store.get('result', 'k'))!.toString()).toBe('hello');
    expect(await store.get('result', 'other')).toBeNull();
    expect(await store.get('manifest', 'k')).toBeNull();
  });

  it('a flipped byte is a miss, removed and reported, never returned', async () => {
    await store.put('result', 'k', Buffer.from('the object bytes'));
    const p = await contentPath('result', 'k');
    const b = readFileSync(p);
    b[3] ^= 0xff;
    writeFileSync(p, b);
    expect(await store.get('result', 'k')).toBeNull();
    expect(corrupt).toHaveLength(1);
    expect(await cacache.get.info(dir, storeKey('result', 'k'))).toBeNull();
    // Writing it again works: the bad content file is gone, not kept by dedup.
    await store.put('result', 'k', Buffer.from('the object bytes'));
    expect((await store.get('result', 'k'))!.toString()).toBe('the object bytes');
  });

  it('a truncated blob is a miss', async () => {
    await store.put('manifest', 'm', Buffer.from('x'.repeat(1000)));
    truncateSync(await contentPath('manifest', 'm'), 10);
    expect(await store.get('manifest', 'm')).toBeNull();
    expect(corrupt).toHaveLength(1);
  });

  it('content removed behind its index line is a plain miss', async () => {
    await store.put('result', 'k', Buffer.from('abc'));
    rmSync(await contentPath('result', 'k'));
    expect(await store.get('result', 'k')).toBeNull();
    expect(corrupt).toHaveLength(0);
  });

  it('many writers of one key leave one complete value', async () => {
    const values = Array.from({ length: 20 }, (_, i) => Buffer.from(`value-${i}-`.repeat(2000)));
    await Promise.all(values.map((v) => openStore(dir).store.put('result', 'same', v)));
    const got = (await store.get('result', 'same'))!;
    expect(values.some((v) => v.equals(got))).toBe(true);
    expect(corrupt).toEqual([]);
  });

  it('measures usage', async () => {
    await store.put('result', 'a', Buffer.alloc(100, 1));
    await store.put('result', 'b', Buffer.alloc(100, 1)); // same content, stored once
    await store.put('manifest', 'm', Buffer.alloc(10, 2));
    expect(await storeUsage(dir)).toEqual({ size_bytes: 110, entries: 2, manifests: 1 });
  });
});

describe('blobs and results', () => {
  it('frame a header and a payload', () => {
    const b = encodeBlob({ a: 1 }, Buffer.from('payload'));
    const d = decodeBlob(b);
    expect(d.header.a).toBe(1);
    expect(d.payload.toString()).toBe('payload');
    expect(() => decodeBlob(b.subarray(0, b.length - 1))).toThrow(CorruptEntryError);
    expect(() => decodeBlob(Buffer.from('junk'))).toThrow(CorruptEntryError);
  });

  it('round-trip a compile result; an empty object is refused', () => {
    const r = { object: Buffer.from([0x7f, 0x45]), depfile: 'o.o: a.cpp\n', depfileTarget: 'o.o', stderr: 'warning\n', createdMs: 5 };
    expect(decodeResult(encodeResult(r))).toEqual(r);
    expect(() => decodeResult(encodeResult({ ...r, object: Buffer.alloc(0) }))).toThrow(CorruptEntryError);
  });

  it('retarget a depfile to the object being restored', () => {
    const text = 'build/a/x.o: src/x.cpp include/x.h \\\n /usr/include/stdio.h\ninclude/x.h:\n';
    const out = retargetDepfile(text, 'build/a/x.o', 'build/b/x.o', parseDepfile);
    expect(out).toBe(text.replace('build/a/x.o:', 'build/b/x.o:'));
    expect(parseDepfile(out).targets).toEqual(['build/b/x.o']);
    const odd = retargetDepfile('weird\\ name.o: a.cpp b.h\n', 'other.o', 'new.o', parseDepfile);
    expect(parseDepfile(odd)).toEqual({ targets: ['new.o'], prereqs: ['a.cpp', 'b.h'] });
  });
});
