// The content files of a test project's local cache (cacache under <cacheDir>/store),
// for tests that look at or damage what the cache keeps on disk.
import { createHash } from 'node:crypto';
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { cacache } from '../../cache/cacache-api.js';
import { storeKey } from '../../cache/tiers/local.js';

export const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** The object entries' content files (objects and link outputs), by the sha256 of their bytes. */
export async function objectContent(p: { cacheDir: string }): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of Object.values(await cacache.ls(join(p.cacheDir, 'store')))) {
    if (e.key.startsWith(storeKey('object', ''))) out.set(digest(readFileSync(e.path)), e.path);
  }
  return out;
}

/** A check that every content file there now still holds the same bytes later
 *  (entries may be added meanwhile: stores run after the answer; none may change). */
export async function contentKept(p: { cacheDir: string }): Promise<() => Promise<void>> {
  const stored = await allContent(p);
  return async () => {
    const now = await allContent(p);
    for (const [path, d] of stored) expect(now.get(path), path).toBe(d);
  };
}

/** sha256 of every content file of the store, by path. */
async function allContent(p: { cacheDir: string }): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of Object.values(await cacache.ls(join(p.cacheDir, 'store')))) out.set(e.path, digest(readFileSync(e.path)));
  return out;
}

/** Damage only a full hash can tell: one byte in the middle flipped, the size kept. */
export function flipMiddleByte(path: string): void {
  const b = readFileSync(path);
  b[b.length >> 1]! ^= 0x20;
  writeFileSync(path, b);
}

/** Damage the size shows: the file cut to half its length. */
export function truncateHalf(path: string): void {
  truncateSync(path, Math.floor(readFileSync(path).length / 2));
}
