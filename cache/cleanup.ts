// Keeping the cache within bounds: max_cache_size (least recently used first),
// cache_ttl (unused for longer → gone), garbage left by rewritten manifests, and
// verify/clear for `replibuild cache verify|clear`.
//
// "Last used" is the content file's mtime: the store sets it on every read and
// write, so no index rewrite is needed per hit. A result's object or a link's output (an
// "object" entry under the result's or link's key, stored-objects.ts) is never touched:
// it goes with its owner, and only an object whose owner is gone is aged on its own.
// Everything here is safe to run while builds use the cache: a removed entry is a
// miss for a reader, never a broken object, and content younger than a grace period
// is never collected as garbage (a writer may not have indexed it yet).

import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacache } from './cacache-api.js';
import { cacheLayout } from './cache-dir.js';
import { decodeManifest } from './manifest.js';
import { CorruptEntryError } from './blob.js';
import type { EntryKind } from './tier.js';
import { TieredStore } from './tiered-store.js';
import { LocalTier, bucketPath, integrityOfContentPath, parseStoreKey, storeKey } from './tiers/local.js';
import { indexEntries } from './tiers/index-entries.js';
import { decodeAnyResult } from './result.js';
import { decodeLink } from './link-result.js';
import { ObjectFiles } from './object-files.js';
import type { CacheStats } from './stats.js';

export interface CleanupOptions {
  /** Size limit in bytes; undefined = none. */
  maxSizeBytes?: number;
  /** Entries unused for longer than this many seconds go; undefined or 0 = no limit. */
  ttlSeconds?: number;
  /** Clock, for tests. */
  nowMs?: number;
  /** Unreferenced content younger than this is left alone (default 10 minutes). */
  garbageGraceMs?: number;
}

export interface CleanupReport {
  evicted: number;
  evicted_bytes: number;
  garbage_files: number;
  compacted: number;
  size_bytes: number;
  entries: number;
}

/** What eviction needs of an index entry: no path, size or metadata (the path follows
 *  from the integrity), so a 20,000-TU index (60,000 entries) costs some 25 MB here. */
interface Live {
  kind: EntryKind;
  key: string;
  integrity: string;
  lastUse: number;
  /** A result's or link's object entry, evicted with it. */
  object?: Live;
}

async function dirents(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** Each file under dir, one directory listed at a time (content-v2 holds one file per
 *  entry: a list of them all would be as big as the index). */
async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const d of await dirents(dir)) {
    const p = join(dir, d.name);
    if (d.isDirectory()) yield* filesUnder(p);
    else yield p;
  }
}

/** Evicts by TTL and then by size (LRU), collects garbage, compacts manifest index buckets. */
export async function cleanup(root: string, opts: CleanupOptions = {}, stats?: CacheStats): Promise<CleanupReport> {
  const { store } = cacheLayout(root);
  const now = opts.nowMs ?? Date.now();
  const grace = opts.garbageGraceMs ?? 10 * 60_000;
  const s = new LocalTier(store);
  const ev = await evictEntries(store, s, now, opts);
  stats?.evicted(ev.evicted);
  const compacted = await compactManifests(store, ev.keptManifests);

  // Content no index line points to: old versions of rewritten manifests, mostly. Told
  // by the references counted above, not by reading the index again (a second set of
  // 60,000 paths at 20,000 TUs): content an entry written meanwhile points to is new,
  // or was touched by its writer (LocalTier.putLocated), so within the grace period.
  let garbage = 0;
  for await (const f of filesUnder(join(store, 'content-v2'))) {
    const id = integrityOfContentPath(store, f);
    if (id === null || (ev.refs.get(id) ?? 0) > 0) continue;
    const st = await stat(f).catch(() => null);
    if (st && now - st.mtimeMs > grace) {
      await rm(f, { force: true });
      garbage++;
    }
  }
  for await (const f of filesUnder(join(store, 'tmp'))) {
    const st = await stat(f).catch(() => null);
    if (st && now - st.mtimeMs > grace) await rm(f, { force: true });
  }

  return {
    evicted: ev.evicted,
    evicted_bytes: ev.evictedBytes,
    garbage_files: garbage,
    compacted,
    size_bytes: ev.sizeBytes,
    entries: ev.entries,
  };
}

/** TTL, then size (LRU): the index walked once, its entries kept as Live records. */
async function evictEntries(store: string, s: LocalTier, now: number, opts: CleanupOptions) {
  const live: Live[] = [];
  const refs = new Map<string, number>();
  const sizes = new Map<string, number>();
  for await (const entry of indexEntries(store)) {
    const k = parseStoreKey(entry.key);
    if (!k) continue;
    const st = await stat(entry.path).catch(() => null);
    if (!st) {
      await s.remove(k.kind, k.key, false); // dangling index line
      continue;
    }
    // Named as the content walk below names files, so the two always agree.
    const id = integrityOfContentPath(store, entry.path) ?? entry.integrity;
    live.push({ kind: k.kind, key: k.key, integrity: id, lastUse: st.mtimeMs });
    refs.set(id, (refs.get(id) ?? 0) + 1);
    sizes.set(id, st.size);
  }
  let total = 0;
  for (const sz of sizes.values()) total += sz;
  let evicted = 0;
  let evictedBytes = 0;

  const evictOne = async (l: Live) => {
    const left = (refs.get(l.integrity) ?? 1) - 1;
    refs.set(l.integrity, left);
    await s.remove(l.kind, l.key, false);
    if (left === 0) {
      await cacache.rm.content(store, l.integrity).catch(() => undefined);
      const sz = sizes.get(l.integrity) ?? 0;
      total -= sz;
      evictedBytes += sz;
    }
  };
  const evict = async (l: Live) => {
    await evictOne(l);
    if (l.object) await evictOne(l.object);
    evicted++;
  };

  // Each object rides with its owner: the unit of eviction is the pair. (Result and link
  // keys hash different fields, so one key names at most one owner.)
  const ownersByKey = new Map<string, Live>();
  for (const l of live) if (l.kind === 'result' || l.kind === 'link') ownersByKey.set(l.key, l);
  const units: Live[] = [];
  for (const l of live) {
    const owner = l.kind === 'object' ? ownersByKey.get(l.key) : undefined;
    if (owner) owner.object = l;
    else units.push(l);
  }
  ownersByKey.clear();
  live.length = 0;
  units.sort((a, b) => a.lastUse - b.lastUse);
  const kept: Live[] = [];
  for (const l of units) {
    if (opts.ttlSeconds && opts.ttlSeconds > 0 && now - l.lastUse > opts.ttlSeconds * 1000) await evict(l);
    else kept.push(l);
  }
  if (opts.maxSizeBytes !== undefined) {
    let i = 0;
    for (; i < kept.length && total > opts.maxSizeBytes; i++) await evict(kept[i]!);
    kept.splice(0, i);
  }
  const keptManifests = kept.filter((l) => l.kind === 'manifest' && refs.get(l.integrity) !== 0).map((l) => l.key);
  // As storeUsage counts: compile and link results (an orphan object is not one).
  const entries = kept.filter((l) => l.kind !== 'manifest' && l.kind !== 'object').length;
  return { evicted, evictedBytes, keptManifests, refs, sizeBytes: total, entries };
}

/** Every manifest update appends an index line; keep only the newest. */
async function compactManifests(store: string, manifestKeys: string[]): Promise<number> {
  let compacted = 0;
  for (const key of manifestKeys) {
    const k = storeKey('manifest', key);
    const st = await stat(bucketPath(store, k)).catch(() => null);
    if (st && st.size > 4096) {
      await cacache.index.compact(store, k, (a, b) => a.key === b.key).catch(() => undefined);
      compacted++;
    }
  }
  return compacted;
}

/** cleanup() with the daemon_config.toml settings: max_cache_size in MB, cache_ttl in s. */
export function cleanupWithConfig(
  root: string,
  cfg: { max_cache_size: number; cache_ttl: number },
  stats?: CacheStats,
): Promise<CleanupReport> {
  return cleanup(root, { maxSizeBytes: cfg.max_cache_size * 1024 * 1024, ttlSeconds: cfg.cache_ttl }, stats);
}

export interface VerifyReport {
  checked: number;
  removed: number;
  problems: string[];
}

/** Reads every entry, checks its integrity and format, and removes the bad ones (counted as errors). */
export async function verify(root: string, stats?: CacheStats): Promise<VerifyReport> {
  const { store } = cacheLayout(root);
  const problems: string[] = [];
  // The local tier only, through a store so the integrity check is the one every read makes.
  const s = new TieredStore([new LocalTier(store)], {
    onCorrupt: (kind, key, why) => {
      problems.push(`${kind} ${key}: ${why}`);
      stats?.error();
    },
  });
  const local = s.tiers[0] as LocalTier;
  const objects = new ObjectFiles(store, 0);
  // Two walks of the index, bucket by bucket: the first keeps only the owners' keys, so
  // a store of 60,000 entries is never held in memory at once.
  const owners = new Set<string>();
  for await (const e of indexEntries(store)) {
    const k = parseStoreKey(e.key);
    if (k?.kind === 'result' || k?.kind === 'link') owners.add(k.key);
  }
  let checked = 0;
  for await (const e of indexEntries(store)) {
    const k = parseStoreKey(e.key);
    if (!k) continue;
    // An object is checked with its owner (and counted as part of it); only one whose owner is gone on its own.
    if (k.kind === 'object' && owners.has(k.key)) continue;
    if (k.kind !== 'object') checked++;
    const data = await s.get(k.kind, k.key, { touch: false });
    if (!data) continue;
    try {
      if (k.kind === 'manifest') decodeManifest(data);
      else if (k.kind === 'result' || k.kind === 'link') {
        const ref = k.kind === 'result' ? decodeAnyResult(data).objectRef : decodeLink(data).outputRef;
        const c = ref ? objects.verifyFully(ref) : null;
        if (c && !('path' in c)) {
          const why = 'corrupt' in c ? c.corrupt : c.missing;
          await local.remove('object', k.key, true);
          throw new CorruptEntryError(why);
        }
      }
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      await s.discard(k.kind, k.key, e.message);
    }
  }
  return { checked, removed: problems.length, problems };
}

/** Removes every entry; statistics stay. */
export async function clear(root: string): Promise<void> {
  const { store } = cacheLayout(root);
  await cacache.rm.all(store);
  await rm(join(store, 'tmp'), { recursive: true, force: true });
}
