// Compile results in the store, and putting one back in place of a compile.
//
// The local tier keeps a result as two entries under its key: the "result" entry, a
// small header (result.ts, v2: depfile, stderr, headers, the object's integrity and
// size), and the "object" entry, the object's bytes as a content file of their own. A
// hit copies that file in the kernel (object-files.ts says when it may be trusted
// unread, and why a small one is read and written instead). Further tiers (the remote one) keep whole v1 blobs, as they always have: a
// put writes that form to them, and a v1 blob read from any tier (a remote hit, its
// copy in the local tier, an older local cache) is restored from its bytes as before.
//
// Decoded headers are remembered by key: a result key names content that never changes
// meaning, and each hit still checks the object's content file (so an evicted or
// cleared entry is a miss). The memo is bounded by its text's size, not by a count: a
// project of 20,000 TUs would otherwise keep every TU's depfile text between builds
// (about 1.2 KB per tiny TU measured, tens of KB for a TU of the standard library's
// headers), and the header paths each result names are kept once (shared-records.ts). The last use that eviction goes by is the header's content
// file's mtime, set on every hit; the object lives and dies with its header (cleanup.ts).

import { writeFileSync } from 'node:fs';
import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { RunnerIdentity } from '../toolchain/compile-runner.js';
import { trimmableLru } from '../fs/bounded-lru.js';
import { CorruptEntryError } from './blob.js';
import { StoredObjects } from './stored-objects.js';
import { restoreResult, ObjectGoneError } from './restore.js';
import { decodeAnyResult, encodeResult, encodeResultHeader, type LoadedResult, type StoredResult } from './result.js';
import type { TieredStore } from './tiered-store.js';
import type { LocalTier } from './tiers/local.js';
import { SharedRecords } from './shared-records.js';

/** What the decoded headers may take, by the estimate below (text at two bytes a
 *  character, a pointer per header path, the objects around them): a warm rebuild of
 *  200 TUs that each read the standard library's headers (~34 KB each) fits twice. */
const HEADERS_MEMO_BYTES = 16 * 1024 * 1024;
const estimatedBytes = (k: KnownHeader): number =>
  300 + 2 * (k.result.depfile.length + k.result.depfileTarget.length + k.result.stderr.length + k.file.length) + 8 * (k.result.headers?.length ?? 0);

/** A v2 header as decoded, and its content file (touched on each hit). */
interface KnownHeader {
  result: LoadedResult;
  file: string;
}

export class ResultStore {
  private readonly headers = trimmableLru<string, KnownHeader>(HEADERS_MEMO_BYTES, estimatedBytes);
  private readonly shared = new SharedRecords();
  /** Shared with the link cache (link-cache.ts), whose outputs are kept the same way. */
  readonly objects: StoredObjects;

  constructor(
    private readonly store: TieredStore,
    private readonly local: LocalTier,
    racyWindowMs: number,
    /** A local result found damaged and removed: counted and logged by the caller. */
    private readonly onCorrupt: (key: string, why: string) => void,
    /** Runs work after the answer (background-stores.ts); it must not reject. */
    private readonly later: (work: () => Promise<void>) => void = (work) => void work(),
  ) {
    this.objects = new StoredObjects(local, racyWindowMs);
  }

  /** Drops memos that overflowed during the last build (bounded-lru.ts). */
  trimOverflowed(): void {
    if (this.headers.dropIfOverflowed()) this.shared.clear();
    this.objects.files.trimOverflowed();
  }

  /** The result stored under `key`, or null; one not in our format is discarded (a miss). */
  async load(key: string): Promise<LoadedResult | null> {
    const known = this.headers.get(key);
    if (known) {
      this.local.touchSync(known.file);
      return known.result;
    }
    const blob = await this.store.read('result', key);
    if (!blob) return null;
    let r: LoadedResult;
    try {
      r = decodeAnyResult(blob.data);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      await this.store.discard('result', key, e.message);
      return null;
    }
    if (r.objectRef && blob.file) {
      if (r.headers) r.headers = this.shared.texts(r.headers);
      this.headers.set(key, { result: r, file: blob.file });
    }
    // A v1 blob in the local tier (an older cache, a remote hit's copy): rewritten in the
    // local form once, so its next hits are copies too. Its bytes passed the blob's check.
    else if (r.object && blob.file) {
      const v1 = { ...r, object: r.object };
      this.later(() => this.saveLocal(key, v1).catch(() => undefined));
    }
    return r;
  }

  /** Stores a compile's result: header and object apart in the local tier, a v1 blob in
   *  the others. Resolves once the local tier has both. */
  async save(key: string, r: StoredResult): Promise<void> {
    this.headers.delete(key);
    if (this.store.writableBeyondFirst) this.store.putBeyondFirst('result', key, encodeResult(r));
    await this.saveLocal(key, r);
  }

  /** The local tier's form of `r`: the object first, so a header is never stored before
   *  what it points at. */
  private async saveLocal(key: string, r: StoredResult): Promise<void> {
    await this.objects.save('result', key, r.object, (ref) => encodeResultHeader(r, ref));
  }

  /** Puts `r` in place of the compile of `job`; null when its object turned out to be
   *  gone or damaged (the entry is then removed: a miss, never a wrong object). */
  async restore(job: CompileJob, identity: RunnerIdentity, key: string, r: LoadedResult, t0: number): Promise<CompileResult | null> {
    if (!r.objectRef) {
      const bytes = r.object;
      return restoreResult(job, identity, r, t0, (to) => writeFileSync(to, bytes));
    }
    const w = this.objects.writer(r.objectRef);
    if ('missing' in w) return this.drop(key, null);
    if ('corrupt' in w) return this.drop(key, w.corrupt);
    try {
      return restoreResult(job, identity, r, t0, w.write);
    } catch (e) {
      if (!(e instanceof ObjectGoneError)) throw e;
      this.objects.gone(w.path);
      return this.drop(key, null);
    }
  }

  /** Removes the local entry of `key` (header, object and its content); `corrupt` says
   *  why it was damaged (counted), null for one merely gone (evicted meanwhile). */
  private async drop(key: string, corrupt: string | null): Promise<null> {
    this.headers.delete(key);
    await this.objects.drop('result', key);
    if (corrupt !== null) this.onCorrupt(key, corrupt);
    return null;
  }
}
