// The content store: manifests, compile results and link results in cacache.
//
// cacache writes content to a temp file and renames it into a path named by its
// sha512, and appends index lines that carry their own checksum, so two processes
// writing the same key at once leave one complete entry or the other, never a mix.
// Every read is checked against the integrity recorded at write time. What fails
// the check is deleted (content and index line) and reported as a miss: the caller
// compiles again and a broken object is never handed out.
//
// Reads on the hit path skip cacache's index parsing: where an entry is (its content
// file and integrity) is remembered per key, valid while the key's index bucket file
// keeps its stat stamp (every put or removal of the key appends to, or rewrites,
// that file). The content is then read with one synchronous read and checked against
// the remembered sha512 as cacache would check it, so a corrupt or truncated file is
// still caught, removed and reported, never returned.

import { createHash } from 'node:crypto';
import { readFileSync, utimesSync } from 'node:fs';
import { utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { cacache, isIntegrityError, isNotFound, type CacacheEntry } from './cacache-api.js';
import { quickStat, sameQuick, type QuickStat } from './fs-snapshot.js';

export type EntryKind = 'manifest' | 'result' | 'link';
export const ENTRY_KINDS: readonly EntryKind[] = ['manifest', 'result', 'link'];

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

/** A stored blob that passed the integrity check but is not in our format. */
export class CorruptEntryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CorruptEntryError';
  }
}

export interface StoreEvents {
  /** A corrupt or truncated entry was found and removed. */
  onCorrupt?(kind: EntryKind, key: string, why: string): void;
}

/** cacache's bucket file for a store key (index-v5/xx/yy/rest of sha256(key)). */
export function bucketPath(storeDir: string, storeKeyString: string): string {
  const h = createHash('sha256').update(storeKeyString).digest('hex');
  return join(storeDir, 'index-v5', h.slice(0, 2), h.slice(2, 4), h.slice(4));
}

/** Where an entry's content is, as of a stamp of its bucket. */
interface Located {
  integrity: string;
  path: string;
  bucket: QuickStat;
}

/** The sha512 digests (base64) an integrity string names; empty when it names none. */
function sha512Digests(integrity: string): string[] {
  const out: string[] = [];
  for (const part of integrity.split(/\s+/)) {
    if (part.startsWith('sha512-')) out.push(part.slice(7).replace(/\?.*$/, ''));
  }
  return out;
}

/** A blob read from the store, and where it lives (for callers that remember it). */
export interface StoredBlob {
  data: Buffer;
  /** The content file (its stamp changes on touch, rewrite or removal). */
  path: string;
}

const MAX_LOCATED = 20_000;

export class CacheStore {
  private readonly located = new Map<string, Located>();

  constructor(
    /** cacache's directory (CacheLayout.store). */
    readonly dir: string,
    private readonly events: StoreEvents = {},
  ) {}

  /** The bucket file of (kind, key): it exists once the key was ever written. */
  bucketOf(kind: EntryKind, key: string): string {
    return bucketPath(this.dir, storeKey(kind, key));
  }

  /** The blob under (kind, key), integrity-checked, or null. Refreshes its last-use
   *  time, which cleanup evicts by, unless `touch` is false. */
  async get(kind: EntryKind, key: string, opts: { touch?: boolean } = {}): Promise<Buffer | null> {
    return (await this.read(kind, key, opts))?.data ?? null;
  }

  /** get(), with the content file's path. */
  async read(kind: EntryKind, key: string, opts: { touch?: boolean } = {}): Promise<StoredBlob | null> {
    const k = storeKey(kind, key);
    const known = this.located.get(k);
    if (known) {
      // A result (or link) key names content that never changes meaning: whichever blob
      // was stored under it is right for it. So a remembered location stays usable
      // even if the key was written again, and a removed one shows up as a missing
      // file below: no bucket stat needed. A manifest changes under its key.
      const now = kind === 'manifest' ? quickStat(bucketPath(this.dir, k)) : known.bucket;
      if (now && sameQuick(now, known.bucket)) {
        const r = await this.readLocated(kind, key, known, opts);
        if (r !== 'unsure') return r;
      }
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
    const r = await this.readLocated(kind, key, loc, opts, entry);
    if (r !== 'unsure') {
      if (r) this.remember(k, loc);
      return r;
    }
    // An integrity without sha512 (not one we wrote): let cacache check it.
    try {
      const data = await cacache.get.byDigest(this.dir, entry.integrity);
      if (opts.touch !== false) await this.touchPath(entry.path);
      return { data, path: entry.path };
    } catch (e) {
      if (isIntegrityError(e)) {
        await this.discard(kind, key, `content does not match its integrity (${(e as Error).message})`, entry);
        return null;
      }
      if (isNotFound(e)) {
        await this.remove(kind, key, false);
        return null;
      }
      throw e;
    }
  }

  /** Reads and checks located content; 'unsure' when its integrity is not a sha512 one. */
  private async readLocated(
    kind: EntryKind,
    key: string,
    loc: Located,
    opts: { touch?: boolean },
    entry?: CacacheEntry,
  ): Promise<StoredBlob | null | 'unsure'> {
    const digests = sha512Digests(loc.integrity);
    if (digests.length === 0) return 'unsure';
    let data: Buffer;
    try {
      data = readFileSync(loc.path);
    } catch (e) {
      if (!isNotFound(e)) throw e;
      // Content evicted by a cleanup elsewhere while the index line survived: a plain miss.
      this.located.delete(storeKey(kind, key));
      await this.remove(kind, key, false);
      return null;
    }
    const actual = createHash('sha512').update(data).digest('base64');
    if (!digests.includes(actual)) {
      this.located.delete(storeKey(kind, key));
      await this.discard(kind, key, `content does not match its integrity (sha512 of ${data.length} bytes)`, entry ?? {
        key: storeKey(kind, key),
        integrity: loc.integrity,
        path: loc.path,
        size: data.length,
        time: 0,
      });
      return null;
    }
    if (opts.touch !== false) this.touchSync(loc.path);
    return { data, path: loc.path };
  }

  private remember(k: string, loc: Located): void {
    this.located.delete(k);
    this.located.set(k, loc);
    if (this.located.size > MAX_LOCATED) this.located.delete(this.located.keys().next().value!);
  }

  /** Stores `data`; returns the content file's path (null when it cannot be found again). */
  async put(kind: EntryKind, key: string, data: Buffer): Promise<string | null> {
    const k = storeKey(kind, key);
    const bucket = bucketPath(this.dir, k);
    await cacache.put(this.dir, k, data);
    // Identical content may have been there already (dedup): it is in use again now.
    const entry = await cacache.get.info(this.dir, k).catch(() => null);
    if (!entry) return null;
    await this.touchPath(entry.path);
    // Stamped after our own line: a writer in between only makes the next read slower.
    const stamp = quickStat(bucket);
    if (stamp) this.remember(k, { integrity: entry.integrity, path: entry.path, bucket: stamp });
    return entry.path;
  }

  /** Marks content as just used (cleanup evicts the least recently used first). */
  touchSync(path: string): void {
    const now = new Date();
    try {
      utimesSync(path, now, now);
    } catch {
      /* gone or not ours: nothing to refresh */
    }
  }

  /** Drops the index entry and, with `content`, its content file too. */
  async remove(kind: EntryKind, key: string, content: boolean, known?: CacacheEntry): Promise<void> {
    const k = storeKey(kind, key);
    this.located.delete(k);
    const entry = known ?? (await cacache.get.info(this.dir, k).catch(() => null));
    await cacache.rm.entry(this.dir, k, { removeFully: true });
    if (content && entry) await cacache.rm.content(this.dir, entry.integrity).catch(() => undefined);
  }

  /** Removes an entry found corrupt and reports it. The content goes too: cacache
   *  would otherwise keep the bad file when the same content is written again. */
  async discard(kind: EntryKind, key: string, why: string, known?: CacacheEntry): Promise<void> {
    await this.remove(kind, key, true, known);
    this.events.onCorrupt?.(kind, key, why);
  }

  private async touchPath(path: string): Promise<void> {
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
  }
}

// ------------------------------------------------------------ blob framing

const MAGIC = Buffer.from('RBC1');

/** header JSON + payload, with lengths, so truncation is caught even before integrity. */
export function encodeBlob(header: object, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.from(JSON.stringify({ ...header, payload_size: payload.length }), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(h.length);
  return Buffer.concat([MAGIC, len, h, payload]);
}

export function decodeBlob(data: Buffer): { header: Record<string, unknown>; payload: Buffer } {
  if (data.length < 8 || !data.subarray(0, 4).equals(MAGIC)) throw new CorruptEntryError('not a replibuild cache blob');
  const hlen = data.readUInt32BE(4);
  if (8 + hlen > data.length) throw new CorruptEntryError('blob header runs past its end');
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(data.subarray(8, 8 + hlen).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new CorruptEntryError('blob header is not JSON');
  }
  if (typeof header !== 'object' || header === null) throw new CorruptEntryError('blob header is not an object');
  const payload = data.subarray(8 + hlen);
  if (header.payload_size !== payload.length) {
    throw new CorruptEntryError(`payload is ${payload.length} bytes, header says ${String(header.payload_size)}`);
  }
  return { header, payload };
}

// ------------------------------------------------------------ usage

export interface StoreUsage {
  /** Bytes of content referenced by the index (each content file once). */
  size_bytes: number;
  /** Compile and link results. */
  entries: number;
  manifests: number;
}

/** Reads the whole index; cost grows with the number of entries. */
export async function storeUsage(storeDir: string): Promise<StoreUsage> {
  let all: Record<string, CacacheEntry>;
  try {
    all = await cacache.ls(storeDir);
  } catch (e) {
    if (isNotFound(e)) return { size_bytes: 0, entries: 0, manifests: 0 };
    throw e;
  }
  const seen = new Set<string>();
  let size = 0;
  let entries = 0;
  let manifests = 0;
  for (const e of Object.values(all)) {
    const k = parseStoreKey(e.key);
    if (!k) continue;
    if (k.kind === 'manifest') manifests++;
    else entries++;
    if (!seen.has(e.integrity)) {
      seen.add(e.integrity);
      size += e.size ?? 0;
    }
  }
  return { size_bytes: size, entries, manifests };
}
