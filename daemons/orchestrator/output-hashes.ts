// The hashes of what a build writes (objects, linked outputs), each file read once per
// build. After `rm -rf build` every object is new and younger than the hasher's racy
// window (file-hasher.ts), so the hasher keeps none of their hashes: each object used to
// be read and hashed three times, for its record, for its link's inputs and for the link
// cache's key (86 MB of -g objects and archives in the googletest bench).
//
// A hash is reused while the file's full stat stamp (size, mtime and ctime in ns, inode,
// device) is the one taken before it was read: a file replaced or rewritten since is
// read again. What a stamp cannot show is a rewrite in place to the same size within
// the same timestamp tick as the read; the hasher's racy window guards against that for
// what it keeps across builds, and here it is accepted for one build's lifetime (this
// memo is never persisted and dies with the build). A hit of any later build re-reads.

import { resolve } from 'node:path';
import { contentStampKeyOf, statBigSync, stampKeyOf } from '../../fs/stat-stamp.js';
import type { RestoredOutput } from '../../cache/link-cache.js';
import type { FileHasher } from './file-hasher.js';
import { flat } from '../common/string-pool.js';

export class OutputHashes {
  private readonly memo = new Map<string, { stamp: string; hash: string }>();

  constructor(
    private readonly root: string,
    private readonly hasher: FileHasher,
  ) {}

  /** sha256 hex of the file's content, as hasher.hash; null when it is missing. */
  async hash(relPath: string): Promise<string | null> {
    const abs = resolve(this.root, relPath);
    const st = statBigSync(abs);
    if (!st || !st.isFile()) {
      this.memo.delete(abs);
      return this.hasher.hash(relPath);
    }
    const stamp = stampKeyOf(st);
    const k = this.memo.get(abs);
    if (k && k.stamp === stamp) return k.hash;
    // Read after the stamp was taken (hashWithTime shares no read started before it): a
    // change in between moves the stamp, and the next call reads again.
    const hash = this.hasher.hashWithTime ? ((await this.hasher.hashWithTime(relPath))?.hash ?? null) : await this.hasher.hash(relPath);
    if (hash === null) this.memo.delete(abs);
    // Flat: a link of 20,000 objects holds 20,000 of these until the build ends.
    else this.memo.set(abs, { stamp: flat(stamp), hash });
    return hash;
  }

  /** What is known of a file without a stat (LinkJob.known): what this build read of it,
   *  or else what the hasher kept from an earlier one, each with the stamp it was read
   *  under. `abs`: absolute and resolved, as hash() keys its memo. */
  knownAt(abs: string): { readonly stamp: string; readonly hash: string } | undefined {
    return this.memo.get(abs) ?? this.hasher.rememberedAt?.(abs);
  }

  /** The hash of an output the link cache just restored, unread: the one its result
   *  recorded, while the file is still as the cache wrote it (its size, mtime and inode;
   *  the rename into place moved only its ctime). Null when it is not: hash() reads it. */
  restored(relPath: string, r: RestoredOutput): string | null {
    const abs = resolve(this.root, relPath);
    const st = statBigSync(abs);
    if (!st || !st.isFile() || contentStampKeyOf(st) !== r.stamp) return null;
    this.memo.set(abs, { stamp: stampKeyOf(st), hash: r.sha256 });
    return r.sha256;
  }
}
