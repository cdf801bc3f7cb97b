// The file hasher's persisted cache: a new process stats unchanged files instead of
// reading them, never trusts a racily clean entry, and survives a broken file.
import { describe, it, expect, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { stampKeyOf } from '../../fs/stat-stamp.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashCachePath, StatCachingHasher } from '../../daemons/orchestrator/file-hasher.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>, ageMs = 60_000): string {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-hashcache-'));
  dirs.push(root);
  const old = new Date(Date.now() - ageMs);
  for (const [rel, text] of Object.entries(files)) {
    writeFileSync(join(root, rel), text);
    utimesSync(join(root, rel), old, old);
  }
  return root;
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

describe('persisted hash cache', () => {
  it('one entry per file however its path is spelled, and the remembered stamp is the one read under', async () => {
    const root = project({ 'a.h': 'one\n' });
    const h = StatCachingHasher.persistent(root, { racyWindowMs: 0 });
    expect(await h.hash('a.h')).toBe(sha('one\n'));
    expect(await h.hash('./a.h')).toBe(sha('one\n'));
    expect(await h.hash(join(root, 'a.h'))).toBe(sha('one\n'));
    expect(await h.hash('x/../a.h')).toBe(sha('one\n'));
    expect(h.counters).toEqual({ reads: 1, hits: 3 });
    const known = h.rememberedAt(join(root, 'a.h'));
    expect(known?.hash).toBe(sha('one\n'));
    expect(known?.stamp).toBe(stampKeyOf(statSync(join(root, 'a.h'), { bigint: true })));
    await h.save();
    expect(Object.keys(JSON.parse(readFileSync(hashCachePath(root), 'utf8')).entries)).toEqual(['a.h']);
  });

  it('a second process reads no content of unchanged files, and re-reads a changed one', async () => {
    // ctime cannot be set back: a window of 0 takes the files as settled.
    const root = project({ 'a.h': 'one\n', 'b.cpp': 'two\n' });
    const first = StatCachingHasher.persistent(root, { racyWindowMs: 0 });
    await first.load();
    expect(await first.hash('a.h')).toBe(sha('one\n'));
    expect(await first.hash('b.cpp')).toBe(sha('two\n'));
    expect(await first.hash('/nonexistent/x.h')).toBeNull();
    await first.save();
    expect(existsSync(hashCachePath(root))).toBe(true);
    // Keys inside the project are stored relative to it.
    expect(Object.keys(JSON.parse(readFileSync(hashCachePath(root), 'utf8')).entries).sort()).toEqual(['a.h', 'b.cpp']);

    const second = StatCachingHasher.persistent(root, { racyWindowMs: 0 });
    await second.load();
    expect(await second.hash('a.h')).toBe(sha('one\n'));
    expect(await second.hash(join(root, 'b.cpp'))).toBe(sha('two\n'));
    expect(second.counters).toEqual({ reads: 0, hits: 2 });

    writeFileSync(join(root, 'a.h'), 'ONE\n');
    expect(await second.hash('a.h')).toBe(sha('ONE\n'));
    expect(second.counters.reads).toBe(1);
  });

  it('an unchanged cache is not written again', async () => {
    const root = project({ 'a.h': 'one\n' });
    const h = StatCachingHasher.persistent(root, { racyWindowMs: 0 });
    await h.load();
    await h.hash('a.h');
    await h.save();
    const again = StatCachingHasher.persistent(root, { racyWindowMs: 0 });
    await again.load();
    await again.hash('a.h');
    rmSync(hashCachePath(root));
    await again.save();
    expect(existsSync(hashCachePath(root))).toBe(false);
  });

  it('never keeps an entry for a file that changed within the racy window of its hashing', async () => {
    const root = project({ 'fresh.h': 'x\n' }, 0);
    const h = StatCachingHasher.persistent(root); // 2 s window; the file is brand new
    await h.load();
    expect(await h.hash('fresh.h')).toBe(sha('x\n'));
    await h.save();
    const next = StatCachingHasher.persistent(root);
    await next.load();
    await next.hash('fresh.h');
    expect(next.counters).toEqual({ reads: 1, hits: 0 });
  });

  it('a corrupt or foreign cache file is an empty cache', async () => {
    const root = project({ 'a.h': 'one\n' });
    const seed = StatCachingHasher.persistent(root, { racyWindowMs: 0 });
    await seed.hash('a.h');
    await seed.save();
    const good = JSON.parse(readFileSync(hashCachePath(root), 'utf8'));
    const bad = [
      '{oops',
      JSON.stringify({ ...good, version: 99 }),
      JSON.stringify({ ...good, entries: { 'a.h': ['stamp-that-never-matches', sha('one\n'), 1] } }),
      JSON.stringify({ ...good, entries: { 'a.h': [good.entries['a.h'][0], 'not-a-hash', 1] } }),
    ];
    for (const text of bad) {
      writeFileSync(hashCachePath(root), text);
      const h = StatCachingHasher.persistent(root, { racyWindowMs: 0 });
      await h.load();
      expect(await h.hash('a.h')).toBe(sha('one\n'));
      expect(h.counters.reads).toBe(1);
    }
  });
});
