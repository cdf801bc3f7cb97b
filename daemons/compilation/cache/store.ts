// The content store: manifests, compile results and link results in cacache.
//
// cacache writes content to a temp file and renames it into a path named by its
// sha512, and appends index lines that carry their own checksum, so two processes
// writing the same key at once leave one complete entry or the other, never a mix.
// Every read is checked against the integrity recorded at write time. What fails
// the check is deleted (content and index line) and reported as a miss: the caller
// compiles again and a broken object is never handed out.

import { utimes } from 'node:fs/promises';
import { cacache, isIntegrityError, isNotFound, type CacacheEntry } from './cacache-api.js';

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

export class CacheStore {
  constructor(
    /** cacache's directory (CacheLayout.store). */
    readonly dir: string,
    private readonly events: StoreEvents = {},
  ) {}

  /** The blob under (kind, key), integrity-checked, or null. Refreshes its last-use
   *  time, which cleanup evicts by, unless `touch` is false. */
  async get(kind: EntryKind, key: string, opts: { touch?: boolean } = {}): Promise<Buffer | null> {
    const k = storeKey(kind, key);
    let entry: CacacheEntry | null;
    try {
      entry = await cacache.get.info(this.dir, k);
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    if (!entry) return null;
    try {
      const data = await cacache.get.byDigest(this.dir, entry.integrity);
      if (opts.touch !== false) await this.touchPath(entry.path);
      return data;
    } catch (e) {
      if (isIntegrityError(e)) {
        await this.discard(kind, key, `content does not match its integrity (${(e as Error).message})`, entry);
        return null;
      }
      if (isNotFound(e)) {
        // Content evicted by a cleanup elsewhere while the index line survived: a plain miss.
        await this.remove(kind, key, false);
        return null;
      }
      throw e;
    }
  }

  async put(kind: EntryKind, key: string, data: Buffer): Promise<void> {
    const k = storeKey(kind, key);
    await cacache.put(this.dir, k, data);
    // Identical content may have been there already (dedup): it is in use again now.
    const entry = await cacache.get.info(this.dir, k).catch(() => null);
    if (entry) await this.touchPath(entry.path);
  }

  /** Drops the index entry and, with `content`, its content file too. */
  async remove(kind: EntryKind, key: string, content: boolean, known?: CacacheEntry): Promise<void> {
    const k = storeKey(kind, key);
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
