// Content hashes decide what is up to date, not mtimes: a touched but unchanged
// file costs a re-read, never a rebuild. The stat cache only spares re-reading a
// file whose size, mtime, ctime and inode are all unchanged.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface FileHasher {
  /** sha256 hex of the file's content; null when it is missing (or not a readable file).
   *  Relative paths are relative to the project root; absolute ones (system headers) are fine. */
  hash(relPath: string): Promise<string | null>;
}

export async function sha256File(absPath: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(absPath)) h.update(chunk as Buffer);
  return h.digest('hex');
}

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG']);

/** A file changed this recently may change again within the same timestamp tick
 *  without its stat changing (git's "racy clean" problem): such hashes are not cached. */
const RACY_MS = 2000;

interface CacheEntry {
  stamp: string;
  hash: string;
}

export class StatCachingHasher implements FileHasher {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly pending = new Map<string, Promise<string | null>>();
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  /** Figures for status and tests. */
  readonly counters = { reads: 0, hits: 0 };

  private readonly maxOpen: number;
  private readonly racyNs: bigint;

  constructor(
    readonly root: string,
    opts: {
      /** Files read at once; keeps a big plan clear of EMFILE. */
      maxOpen?: number;
      /** Files changed more recently than this are hashed again on every call. */
      racyWindowMs?: number;
    } = {},
  ) {
    this.maxOpen = opts.maxOpen ?? 64;
    this.racyNs = BigInt(opts.racyWindowMs ?? RACY_MS) * 1_000_000n;
  }

  hash(relPath: string): Promise<string | null> {
    const abs = resolve(this.root, relPath);
    const inflight = this.pending.get(abs);
    if (inflight) return inflight;
    const p = this.compute(abs).finally(() => this.pending.delete(abs));
    this.pending.set(abs, p);
    return p;
  }

  /** Forgets cached hashes (all, or of one path). */
  invalidate(relPath?: string): void {
    if (relPath === undefined) this.cache.clear();
    else this.cache.delete(resolve(this.root, relPath));
  }

  private async compute(abs: string): Promise<string | null> {
    try {
      const st = await stat(abs, { bigint: true });
      if (!st.isFile()) return null;
      const stamp = `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}`;
      const hit = this.cache.get(abs);
      if (hit && hit.stamp === stamp) {
        this.counters.hits++;
        return hit.hash;
      }
      const hash = await this.limited(() => sha256File(abs));
      this.counters.reads++;
      const nowNs = BigInt(Date.now()) * 1_000_000n;
      const newest = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
      if (nowNs - newest >= this.racyNs) this.cache.set(abs, { stamp, hash });
      else this.cache.delete(abs);
      return hash;
    } catch (e) {
      if (MISSING.has((e as NodeJS.ErrnoException).code ?? '')) {
        this.cache.delete(abs);
        return null;
      }
      throw e;
    }
  }

  private async limited<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxOpen) await new Promise<void>((r) => this.waiting.push(r));
    this.active++;
    try {
      return await f();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}

export function createFileHasher(root: string): StatCachingHasher {
  return new StatCachingHasher(root);
}
