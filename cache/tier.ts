// A place cache entries are kept: the local directory (tiers/local.ts) today, a shared
// remote store later. A tier only keeps bytes; it is not trusted with them. Its get
// returns the bytes and the integrity it claims for them (a Subresource-Integrity
// string, "sha512-<base64>", as cacache records it), and the caller (TieredStore)
// checks the one against the other before anything is used: a tier that hands back
// a truncated or foreign blob costs a miss, never a wrong object.
//
// The interface is asynchronous and may be slow (a network round trip behind a
// timeout): a miss, a timeout and an unreachable tier all come back as null from
// get, and put may return before the bytes are safe. What order tiers are asked
// in, and what is copied where, is TieredStore's business alone.

import { createHash } from 'node:crypto';

/** "object": the object file of a local compile result, or the output of a local link
 *  result, kept as content of its own under its owner's key (stored-objects.ts) so a hit
 *  is a kernel copy; only the local tier keeps them. */
export type EntryKind = 'manifest' | 'result' | 'link' | 'object';
export const ENTRY_KINDS: readonly EntryKind[] = ['manifest', 'result', 'link', 'object'];

/** Bytes a tier says it holds under a key. */
export interface TierBlob {
  data: Buffer;
  /** The integrity the tier recorded when the bytes were put (SRI form). */
  integrity: string;
  /** The local tier's content file (its stat stamp changes on touch, rewrite or removal),
   *  for callers that keep a decoded copy and re-validate it by stamp; absent elsewhere. */
  file?: string;
}

export interface TierGetOptions {
  /** Refresh the entry's last use (what eviction goes by); default true. */
  touch?: boolean;
}

export interface CacheTier {
  /** For messages: "local", "redis". */
  readonly name: string;
  /** Whether put() and copy-back write to it (a read-only shared tier says false). */
  readonly writable: boolean;
  /** Whether (kind, key) may be there; a cheap check, true when unsure. */
  has(kind: EntryKind, key: string): Promise<boolean>;
  /** The bytes under (kind, key) and their claimed integrity, or null (a miss, or a tier
   *  that cannot answer in time). Not yet verified: see checkIntegrity. */
  get(kind: EntryKind, key: string, opts?: TierGetOptions): Promise<TierBlob | null>;
  /** Stores `data` under (kind, key). */
  put(kind: EntryKind, key: string, data: Buffer): Promise<void>;
  /** Drops (kind, key); with `content`, the bytes too (a corrupt entry must not be
   *  kept for deduplication). */
  remove(kind: EntryKind, key: string, content: boolean): Promise<void>;
}

/** The SRI string cacache records for `data` (sha512). */
export function integrityOf(data: Buffer): string {
  return `sha512-${createHash('sha512').update(data).digest('base64')}`;
}

const SUPPORTED = new Set(['sha512', 'sha384', 'sha256', 'sha1']);

/**
 * Whether `data` matches an SRI string: one of its digests of the strongest algorithm
 * it names (sha512 for everything this cache writes) is the data's. An integrity
 * naming no algorithm we know matches nothing: the entry is treated as corrupt.
 */
export function checkIntegrity(data: Buffer, integrity: string): boolean {
  // The hit path: one sha512 digest, as cacache writes it.
  if (integrity.startsWith('sha512-') && !/[\s?]/.test(integrity)) {
    return createHash('sha512').update(data).digest('base64') === integrity.slice(7);
  }
  const byAlg = new Map<string, string[]>();
  for (const part of integrity.split(/\s+/)) {
    const dash = part.indexOf('-');
    const alg = part.slice(0, dash);
    if (dash <= 0 || !SUPPORTED.has(alg)) continue;
    const list = byAlg.get(alg) ?? [];
    list.push(part.slice(dash + 1).replace(/\?.*$/, ''));
    byAlg.set(alg, list);
  }
  for (const alg of ['sha512', 'sha384', 'sha256', 'sha1']) {
    const digests = byAlg.get(alg);
    if (digests) return digests.includes(createHash(alg).update(data).digest('base64'));
  }
  return false;
}
