// Direct-mode manifests as the compile cache reads and writes them: kept decoded in
// memory (a bounded LRU by encoded size), valid while their local index bucket and
// content file keep their stat stamps (another process's write changes both), so a
// hit does not re-read or re-parse the manifest.

import { trimmableLru, type TrimmableLru } from '../fs/bounded-lru.js';
import { CorruptEntryError } from './blob.js';
import { quickStat, sameQuick, type QuickStat } from '../fs/quick-stat.js';
import { addEntry, decodeManifest, encodeManifest, type Manifest, type ManifestEntry } from './manifest.js';
import type { TieredStore } from './tiered-store.js';
import type { LocalTier } from './tiers/local.js';
import { SharedRecords } from './shared-records.js';

/** A manifest kept decoded, with the stamps that say it is still the one on disk. */
interface KnownManifest {
  manifest: Manifest;
  bucket: QuickStat;
  /** Its index bucket's path (a sha256 of the key and a join, saved per hit). */
  bucketFile: string;
  path: string;
  content: QuickStat;
  bytes: number;
}

/** An entry whose records and lists are shared instances (`shared`), for keeping. */
function sharedEntry(e: ManifestEntry, shared: SharedRecords, done: WeakSet<ManifestEntry>): ManifestEntry {
  if (done.has(e)) return e;
  const out: ManifestEntry = {
    ...e,
    headers: shared.each(e.headers),
    dirs: shared.list(e.dirs),
    absent: shared.texts(e.absent),
    present: shared.list(e.present),
  };
  done.add(out);
  return out;
}

export class ManifestMemo {
  private readonly memo: TrimmableLru<string, KnownManifest>;
  /** Records repeated across manifests, kept once (shared-records.ts). */
  private readonly shared = new SharedRecords();
  private readonly sharedEntries = new WeakSet<ManifestEntry>();

  constructor(
    private readonly store: TieredStore,
    /** The tier whose stamps validate a remembered manifest. */
    private readonly local: LocalTier,
    private readonly maxEntries: number,
    memoBytes: number,
  ) {
    // One manifest per TU: a build larger than the memo keeps only a window (bounded-lru.ts).
    this.memo = trimmableLru(memoBytes, (m) => m.bytes, memoBytes / 32);
  }

  /** Drops memos that overflowed during the last build (bounded-lru.ts). */
  trimOverflowed(): void {
    if (this.memo.dropIfOverflowed()) this.shared.clear();
  }

  /**
   * The manifest of key1 and whether one was ever written (its index bucket exists:
   * also true for one found corrupt and removed). A manifest kept in memory is used
   * while its bucket and content file keep their stamps; our own touch of the content
   * (last use, for eviction, at most every TOUCH_EVERY_MS) is re-stamped so it does not
   * count as a change.
   */
  async load(key1: string): Promise<{ manifest: Manifest | null; existed: boolean }> {
    const known = this.memo.get(key1);
    const bucketFile = known?.bucketFile ?? this.local.bucketOf('manifest', key1);
    const bucket = quickStat(bucketFile);
    if (known) {
      if (bucket && sameQuick(bucket, known.bucket)) {
        const content = quickStat(known.path);
        if (content && sameQuick(content, known.content)) {
          if (this.local.touchSync(known.path)) known.content = quickStat(known.path) ?? content;
          return { manifest: known.manifest, existed: true };
        }
      }
      this.memo.delete(key1);
    }
    // Never written here: only a further tier could have it.
    if (!bucket && !this.store.tiersBeyondFirst) return { manifest: null, existed: false };
    const blob = await this.store.read('manifest', key1);
    if (!blob) return { manifest: null, existed: bucket !== null };
    let manifest: Manifest;
    try {
      manifest = decodeManifest(blob.data);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      await this.store.discard('manifest', key1, e.message);
      return { manifest: null, existed: true };
    }
    if (bucket && blob.file) this.remember(key1, manifest, bucket, bucketFile, blob.file, blob.data.length);
    return { manifest, existed: true };
  }

  /** Adds `entry` to key1's manifest. */
  async save(key1: string, entry: ManifestEntry): Promise<void> {
    // Re-read (or re-validate) just before writing, so entries other processes added meanwhile are kept.
    const current = (await this.load(key1)).manifest;
    const next = addEntry(current, entry, this.maxEntries);
    const data = encodeManifest(next);
    await this.store.put('manifest', key1, data);
    const path = this.local.contentFile('manifest', key1);
    const bucketFile = this.local.bucketOf('manifest', key1);
    const bucket = quickStat(bucketFile);
    if (path && bucket) this.remember(key1, next, bucket, bucketFile, path, data.length);
  }

  private remember(key1: string, manifest: Manifest, bucket: QuickStat, bucketFile: string, path: string, bytes: number): void {
    const content = quickStat(path);
    if (!content) return;
    const kept: Manifest = { version: manifest.version, entries: manifest.entries.map((e) => sharedEntry(e, this.shared, this.sharedEntries)) };
    this.memo.set(key1, { manifest: kept, bucket, bucketFile, path, content, bytes });
  }
}
