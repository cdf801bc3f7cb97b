import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacache, type CacacheEntry } from '../../cache/cacache-api.js';
import { indexEntries } from '../../cache/tiers/index-entries.js';
import { contentPathOf, integrityOfContentPath } from '../../cache/tiers/local.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-index-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function walked(): Promise<CacacheEntry[]> {
  const out: CacacheEntry[] = [];
  for await (const e of indexEntries(dir)) out.push(e);
  return out.sort((a, b) => a.key.localeCompare(b.key));
}

const slim = (e: CacacheEntry) => ({ key: e.key, integrity: e.integrity, path: e.path, size: e.size });

describe('indexEntries', () => {
  it('gives what cacache.ls gives: the newest line of each key, removed keys left out', async () => {
    for (let i = 0; i < 40; i++) await cacache.put(dir, `k${i}`, Buffer.from(`v${i}`));
    await cacache.put(dir, 'k3', Buffer.from('rewritten')); // a second line in k3's bucket
    await cacache.put(dir, 'k4', Buffer.from('v5')); // content shared with k5
    await cacache.rm.entry(dir, 'k7'); // a null-integrity line, not removed fully
    await cacache.rm.entry(dir, 'k8', { removeFully: true });
    const ls = Object.values(await cacache.ls(dir)).sort((a, b) => a.key.localeCompare(b.key));
    const mine = await walked();
    expect(mine.map(slim)).toEqual(ls.map(slim));
    expect(mine.map((e) => e.key)).not.toContain('k7');
    expect(mine.map((e) => e.key)).not.toContain('k8');
    expect((await cacache.get.byDigest(dir, mine.find((e) => e.key === 'k3')!.integrity)).toString()).toBe('rewritten');
  });

  it('a content path names its integrity back (what cleanup matches content files by)', async () => {
    for (let i = 0; i < 10; i++) await cacache.put(dir, `k${i}`, Buffer.from(`v${i}`));
    for (const e of await walked()) {
      expect(integrityOfContentPath(dir, e.path)).toBe(e.integrity);
      expect(contentPathOf(dir, e.integrity)).toBe(e.path);
    }
    expect(integrityOfContentPath(dir, join(dir, 'tmp', 'x'))).toBeNull();
    expect(integrityOfContentPath(dir, join(dir, 'content-v2', 'sha512', 'ab', 'cd', 'not-hex'))).toBeNull();
  });

  it('an empty or missing store has no entries', async () => {
    expect(await walked()).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
    expect(await walked()).toEqual([]);
  });

  it('reads one bucket at a time: an entry is given before later buckets are read', async () => {
    for (let i = 0; i < 20; i++) await cacache.put(dir, `k${i}`, Buffer.from(`v${i}`));
    const it = indexEntries(dir);
    const first = await it.next();
    expect(first.done).toBe(false);
    // Removing the whole index now still leaves the walk well-formed: later buckets are gone.
    rmSync(join(dir, 'index-v5'), { recursive: true, force: true });
    let more = 0;
    for await (const _ of { [Symbol.asyncIterator]: () => it }) more++;
    expect(more).toBeLessThan(19);
  });
});
