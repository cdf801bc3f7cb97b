import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quickOf, quickStat, sameQuick } from '../../fs/quick-stat.js';
import { isRacy, isRacyTime } from '../../fs/racy.js';
import { StampMemo } from '../../fs/stamp-memo.js';
import { msFromNs, newestMsOf, renameStableKeyOf, stampKey, stampKeyOf, stampOf, statStamp, statStampSync } from '../../fs/stat-stamp.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rb-fs-'));
  dirs.push(d);
  return d;
}

describe('stat stamps', () => {
  it('gives one identity whichever form the stamp is in', async () => {
    const f = join(tmp(), 'a.h');
    writeFileSync(f, 'x');
    const big = statSync(f, { bigint: true });
    const s = stampOf(big);
    expect(stampKey(s)).toBe(stampKeyOf(big));
    expect(await statStamp(f)).toEqual(s);
    expect(statStampSync(f)).toEqual(s);
    // The quick form is what a plain stat of the same file gives.
    expect(sameQuick(quickOf(s), quickStat(f))).toBe(true);
    const plain = statSync(f);
    expect(newestMsOf(big)).toBe(Math.max(plain.mtimeMs, plain.ctimeMs));
  });

  it('says null for a path with nothing there, through a file too', async () => {
    const d = tmp();
    expect(statStampSync(join(d, 'none'))).toBeNull();
    writeFileSync(join(d, 'f'), '');
    expect(await statStamp(join(d, 'f', 'below'))).toBeNull();
    expect(quickStat(join(d, 'none'))).toBeNull();
  });

  it('keeps the rename-stable key across a rename (ctime moves, size, mtime and inode do not)', async () => {
    const d = tmp();
    writeFileSync(join(d, 'tmp'), 'state');
    const before = renameStableKeyOf(statSync(join(d, 'tmp'), { bigint: true }));
    const { renameSync } = await import('node:fs');
    renameSync(join(d, 'tmp'), join(d, 'state.json'));
    expect(renameStableKeyOf(statSync(join(d, 'state.json'), { bigint: true }))).toBe(before);
  });

  it('converts nanoseconds as Node does, before the epoch too', () => {
    expect(msFromNs('1500000000')).toBe(1500);
    expect(msFromNs(1_700_000_000_123_456_789n)).toBe(1_700_000_000_123.4568);
    expect(msFromNs(-1n)).toBeCloseTo(-0.000001, 9);
  });
});

describe('the racy rule', () => {
  it('distrusts a stamp younger than the window at the reference time, and only that', () => {
    expect(isRacyTime(10_000, 10_000, 50)).toBe(true); // changed when read
    expect(isRacyTime(9_951, 10_000, 50)).toBe(true);
    expect(isRacyTime(9_950, 10_000, 50)).toBe(true); // the edge is not trusted
    expect(isRacyTime(9_949.9, 10_000, 50)).toBe(false);
    expect(isRacyTime(12_000, 10_000, 0)).toBe(true); // changed after the reference: never trusted
    expect(isRacyTime(7_000, 10_000, 2000)).toBe(false);
  });

  it('reads a recorded stamp in ms', () => {
    const s = { kind: 'file' as const, size: 1, mtime_ns: '9000000000', ctime_ns: '9990000000', ino: '1', dev: '1' };
    expect(isRacy(s, 10_000, 50)).toBe(true); // ctime decides: the newer of the two
    expect(isRacy(s, 10_100, 50)).toBe(false);
  });
});

describe('StampMemo', () => {
  it('answers only at the stamp it was given, and never remembers a racy one', () => {
    const m = new StampMemo<string>(2000, 2);
    m.remember('/a', 's1', 'hash-a', 1_000, 10_000);
    expect(m.get('/a', 's1')).toBe('hash-a');
    expect(m.get('/a', 's2')).toBeUndefined();
    m.remember('/a', 's2', 'hash-a2', 9_000, 10_000); // changed 1 s before the read: racy
    expect(m.get('/a', 's1')).toBeUndefined(); // and the old answer is gone
    expect(m.size).toBe(0);
  });

  it('keeps the most recently used within its bound', () => {
    const m = new StampMemo<number>(0, 2);
    m.remember('/a', 's', 1, 0, 10);
    m.remember('/b', 's', 2, 0, 10);
    expect(m.get('/a', 's')).toBe(1);
    m.remember('/c', 's', 3, 0, 10);
    expect(m.get('/b', 's')).toBeUndefined();
    expect(m.get('/a', 's')).toBe(1);
    expect(m.get('/c', 's')).toBe(3);
  });
});
