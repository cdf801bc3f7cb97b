// The local tier: manifests, compile results and link results in cacache, in the
// cache directory.
//
// cacache writes content to a temp file and renames it into a path named by its
// sha512, and appends index lines that carry their own checksum, so two processes
// writing the same key at once leave one complete entry or the other, never a mix.
// The content's integrity is recorded at write time and returned with every read;
// the caller checks it (tier.ts) and removes what fails.
//
// Reads on the hit path skip cacache's index parsing: where an entry is (its content
// file and integrity) is remembered per key, valid while the key's index bucket file
// keeps its stat stamp (every put or removal of the key appends to, or rewrites,
// that file). The content is then read with one synchronous read.
//
// Eviction, garbage collection and verify work on this tier only (cleanup.ts).

import { createHash } from 'node:crypto';
import { readFileSync, utimesSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { cacache, isNotFound, type CacacheEntry } from '../cacache-api.js';
import { quickStat, sameQuick, type QuickStat } from '../../fs/quick-stat.js';
import { ENTRY_KINDS, type CacheTier, type EntryKind, type TierBlob, type TierGetOptions } from '../tier.js';
import { trimmableLru } from '../../fs/bounded-lru.js';
import { indexEntries } from './index-entries.js';

const KEY_PREFIX = 'rb1:';

export function storeKey(kind: EntryKind, key: string): string {
  return `${KEY_PREFIX}${kind}:${key}`;
}

export function parseStoreKey(k: string): { kind: EntryKind; key: string } | null {
  if (!k.startsWith(KEY_PREFIX)) return null;
  const rest = k.slice(KEY_PREFIX.length);
  const colon = rest.indexOf(':');
  const kind = rest.slice(0, colon) as EntryKind;
  if (colon < 0 || !ENTRY_KINDS.includes(kind)) return null;
  return { kind, key: rest.slice(colon + 1) };
}

/** cacache's bucket file for a store key (index-v5/xx/yy/rest of sha256(key)). */
export function bucketPath(storeDir: string, storeKeyString: string): string {
  const h = createHash('sha256').update(storeKeyString).digest('hex');
  return join(storeDir, 'index-v5', h.slice(0, 2), h.slice(2, 4), h.slice(4));
}

/** cacache's content file for an SRI string (content-v2/<alg>/xx/yy/rest of the hex
 *  digest), so content named by its integrity is found without reading the index. Null
 *  for an integrity that is not a single digest. */
export function contentPathOf(storeDir: string, integrity: string): string | null {
  const dash = integrity.indexOf('-');
  const alg = integrity.slice(0, dash);
  if (dash <= 0 || !/^sha(1|256|384|512)$/.test(alg) || /[\s?]/.test(integrity)) return null;
  const hex = Buffer.from(integrity.slice(dash + 1), 'base64').toString('hex');
  if (hex.length < 8) return null;
  return join(storeDir, 'content-v2', alg, hex.slice(0, 2), hex.slice(2, 4), hex.slice(4));
}

/** contentPathOf's inverse: the single-digest integrity that names the content file at
 *  path. Null for a path outside content-v2's layout. */
export function integrityOfContentPath(storeDir: string, path: string): string | null {
  const parts = relative(join(storeDir, 'content-v2'), path).split(sep);
  if (parts.length !== 4 || !/^sha(1|256|384|512)$/.test(parts[0]!)) return null;
  const hex = parts.slice(1).join('');
  if (!/^[0-9a-f]+$/.test(hex) || hex.length % 2) return null;
  return `${parts[0]}-${Buffer.from(hex, 'hex').toString('base64')}`;
}

/** Where an entry's content is, as of a stamp of its bucket. */
interface Located {
  integrity: string;
  path: string;
  bucket: QuickStat;
}

const MAX_LOCATED = 8_192;

/** A content file this process marked as used less than this long ago is not marked
 *  again: last use (what eviction goes by) is known to within this, and a build hitting
 *  the same entries again soon after (a clean rebuild) costs no utimes per hit. */
export const TOUCH_EVERY_MS = 30_000;

export class LocalTier implements CacheTier {
  readonly name = 'local';
  readonly writable = true;
  private readonly located = trimmableLru<string, Located>(MAX_LOCATED, undefined, MAX_LOCATED / 32);
  /** Content files marked as used by a hit, and when (Date.now()). */
  private readonly touched = trimmableLru<string, number>(2 * MAX_LOCATED, undefined, MAX_LOCATED / 16);

  /** Drops memos that overflowed during the last build (bounded-lru.ts). */
  trimOverflowed(): void {
    this.located.dropIfOverflowed();
    this.touched.dropIfOverflowed();
  }

  constructor(
    /** cacache's directory (CacheLayout.store). */
    readonly dir: string,
  ) {}

  /** The bucket file of (kind, key): it exists once the key was ever written. */
  bucketOf(kind: EntryKind, key: string): string {
    return bucketPath(this.dir, storeKey(kind, key));
  }

  async has(kind: EntryKind, key: string): Promise<boolean> {
    return quickStat(this.bucketOf(kind, key)) !== null;
  }

  /** The content file of (kind, key) as last read or written by this tier, if known. */
  contentFile(kind: EntryKind, key: string): string | null {
    return this.located.get(storeKey(kind, key))?.path ?? null;
  }

  async get(kind: EntryKind, key: string, opts: TierGetOptions = {}): Promise<TierBlob | null> {
    const k = storeKey(kind, key);
    const known = this.located.get(k);
    if (known) {
      // A result (or link) key names content that never changes meaning: whichever blob
      // was stored under it is right for it. So a remembered location stays usable
      // even if the key was written again, and a removed one shows up as a missing
      // file below: no bucket stat needed. A manifest changes under its key.
      const now = kind === 'manifest' ? quickStat(bucketPath(this.dir, k)) : known.bucket;
      if (now && sameQuick(now, known.bucket)) return this.readLocated(kind, key, known, opts);
      this.located.delete(k);
    }
    const bucketBefore = quickStat(bucketPath(this.dir, k));
    if (!bucketBefore) return null; // never written: no need to ask cacache
    let entry: CacacheEntry | null;
    try {
      entry = await cacache.get.info(this.dir, k);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    if (!entry) return null;
    const loc: Located = { integrity: entry.integrity, path: entry.path, bucket: bucketBefore };
    // Remembered before the caller's integrity check: one that fails removes the key (and this).
    this.located.set(k, loc);
    return this.readLocated(kind, key, loc, opts);
  }

  private async readLocated(kind: EntryKind, key: string, loc: Located, opts: TierGetOptions): Promise<TierBlob | null> {
    let data: Buffer;
    try {
      data = readFileSync(loc.path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Content evicted by a cleanup elsewhere while the index line survived: a plain miss.
      await this.remove(kind, key, false);
      return null;
    }
    if (opts.touch !== false) this.touchSync(loc.path);
    return { data, integrity: loc.integrity, file: loc.path };
  }

  async put(kind: EntryKind, key: string, data: Buffer): Promise<void> {
    await this.putLocated(kind, key, data);
  }

  /** put(), saying where the content went and its integrity (null: not found right after). */
  async putLocated(kind: EntryKind, key: string, data: Buffer): Promise<{ integrity: string; path: string } | null> {
    const k = storeKey(kind, key);
    const bucket = bucketPath(this.dir, k);
    // Until the new location is known, contentFile() must not name the old one.
    this.located.delete(k);
    await cacache.put(this.dir, k, data);
    // Identical content may have been there already (dedup): it is in use again now.
    const entry = await cacache.get.info(this.dir, k).catch(() => null);
    if (!entry) return null;
    await this.touchPath(entry.path);
    // Stamped after our own line: a writer in between only makes the next read slower.
    const stamp = quickStat(bucket);
    if (stamp) this.located.set(k, { integrity: entry.integrity, path: entry.path, bucket: stamp });
    return { integrity: entry.integrity, path: entry.path };
  }

  /** Marks content as just used by a hit (cleanup evicts the least recently used
   *  first), unless this process did so within TOUCH_EVERY_MS. True when it touched. */
  touchSync(path: string): boolean {
    const nowMs = Date.now();
    const last = this.touched.get(path);
    if (last !== undefined && nowMs - last < TOUCH_EVERY_MS && nowMs >= last) return false;
    this.touched.set(path, nowMs);
    const now = new Date(nowMs);
    try {
      utimesSync(path, now, now);
    } catch {
      /* gone or not ours: nothing to refresh */
    }
    return true;
  }

  /** Drops the index entry and, with `content`, its content file too. */
  async remove(kind: EntryKind, key: string, content: boolean): Promise<void> {
    const k = storeKey(kind, key);
    const known = this.located.get(k);
    this.located.delete(k);
    const integrity = known?.integrity ?? (content ? (await cacache.get.info(this.dir, k).catch(() => null))?.integrity : undefined);
    await cacache.rm.entry(this.dir, k, { removeFully: true });
    if (content && integrity) await cacache.rm.content(this.dir, integrity).catch(() => undefined);
  }

  private async touchPath(path: string): Promise<void> {
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
  }
}

// ------------------------------------------------------------ usage

export interface StoreUsage {
  /** Bytes of content referenced by the index (each content file once). */
  size_bytes: number;
  /** Compile and link results (a result's object is part of its entry). */
  entries: number;
  manifests: number;
}

/** Adds up usage entry by entry, each content file counted once. */
class UsageTally {
  private readonly seen = new Set<string>();
  private readonly usage: StoreUsage = { size_bytes: 0, entries: 0, manifests: 0 };

  add(e: CacacheEntry): void {
    const k = parseStoreKey(e.key);
    if (!k) return;
    if (k.kind === 'manifest') this.usage.manifests++;
    else if (k.kind !== 'object') this.usage.entries++;
    if (!this.seen.has(e.integrity)) {
      this.seen.add(e.integrity);
      this.usage.size_bytes += e.size ?? 0;
    }
  }

  result(): StoreUsage {
    return { ...this.usage };
  }
}

/** Walks the whole index (a bucket at a time); cost grows with the number of entries. */
export async function storeUsage(storeDir: string): Promise<StoreUsage> {
  const tally = new UsageTally();
  for await (const e of indexEntries(storeDir)) tally.add(e);
  return tally.result();
}
