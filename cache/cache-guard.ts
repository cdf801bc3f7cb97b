// Whether the compile cache may be used right now, and what the user must be told
// when it may not or when results could not be stored.
//
// The directory is checked again at each build's first cache access (the jobs of
// one build share a build_id): a directory swapped for a symlink, or handed to
// another owner, after the daemons opened it is refused from then on, and every
// compile of that build goes to the compiler without reading or writing the cache.
// The same check probes whether the store takes writes, so a read-only or full
// cache is reported at the start of a build; a store that fails later in the
// background (background-stores.ts) is remembered and reported with the
// next answers. The orchestrator shows each note once per build (build-engine.ts).

import { closeSync, openSync, rmSync, writeSync, constants } from 'node:fs';
import { join } from 'node:path';
import { CacheDirError, cacheLayout, checkCacheDirSync, type CacheLayout } from './cache-dir.js';

/** File-system errors that mean "this cache takes no writes", by code. */
const NOT_WRITABLE: Record<string, string> = {
  ENOSPC: 'no space left on its device (ENOSPC)',
  EDQUOT: 'disk quota exceeded (EDQUOT)',
  EROFS: 'it is on a read-only file system (EROFS)',
  EACCES: 'permission denied (EACCES)',
  EPERM: 'operation not permitted (EPERM)',
};

/** Why an error means the cache cannot be written to, or null for any other error. */
export function notWritableReason(e: unknown): string | null {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined ? (NOT_WRITABLE[code] ?? null) : null;
}

const FIRST = Symbol('no build yet');

export class CacheGuard {
  private refusal: string | null;
  private storeProblem: string | null = null;
  private lastBuild: string | undefined | typeof FIRST = FIRST;

  private constructor(
    readonly layout: CacheLayout,
    private readonly parents: string[],
    refusal: string | null,
  ) {
    this.refusal = refusal;
  }

  /** Checks (creating) `dir`; a directory that cannot be used gives a guard that refuses
   *  until a later check finds it fixed. */
  static open(dir: string): CacheGuard {
    try {
      const c = checkCacheDirSync(dir);
      return new CacheGuard(c.layout, c.parents, null);
    } catch (e) {
      if (!(e instanceof CacheDirError)) throw e;
      return new CacheGuard(cacheLayout(dir), [], e.message);
    }
  }

  /** Throws the refusal, for callers that want an exception at open. */
  assertUsable(): void {
    if (this.refusal) throw new CacheDirError(this.layout.root, this.refusal);
  }

  /** At the first access of each build (by build_id; jobs without one count as one
   *  build): checks the directory again and probes a write. True when the cache may be used. */
  enter(build: string | undefined): boolean {
    if (build !== this.lastBuild) {
      this.lastBuild = build;
      if (this.recheck()) this.probeWrite();
    }
    return this.refusal === null;
  }

  /** The directory check alone (for writers outside a build: counters, link results). */
  usableNow(): boolean {
    return this.recheck();
  }

  /** What to tell the user now, or null. */
  note(): string | null {
    if (this.refusal) return `compile cache not used: ${this.refusal}`;
    if (this.storeProblem) return `compile results were not stored in the cache ${this.layout.root}: ${this.storeProblem}; the build itself is not affected`;
    return null;
  }

  /** A store failed: remembers why when the error says the cache takes no writes. True then. */
  storeFailed(e: unknown): boolean {
    const why = notWritableReason(e);
    if (why) this.storeProblem = why;
    return why !== null;
  }

  private recheck(): boolean {
    try {
      const c = checkCacheDirSync(this.layout.root, this.parents);
      if (c.layout.root !== this.layout.root) {
        this.refusal = `a parent of the compile cache directory ${this.layout.root} was replaced by a symbolic link (it now leads to ${c.layout.root}); refusing to follow it. Restore the directory, or set REPLIBUILD_CACHE_DIR to a directory of your own.`;
        return false;
      }
      this.refusal = null;
      return true;
    } catch (e) {
      if (!(e instanceof CacheDirError)) throw e;
      this.refusal = e.message;
      return false;
    }
  }

  /** One byte through a new file in the store (never through a symlink), then removed. */
  private probeWrite(): void {
    const probe = join(this.layout.store, `.write-probe-${process.pid}`);
    let fd: number | null = null;
    try {
      fd = openSync(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      writeSync(fd, Buffer.from('x'));
      this.storeProblem = null;
    } catch (e) {
      // Anything else (a probe left by a killed process with our pid) says nothing about space.
      if (!this.storeFailed(e)) this.storeProblem = null;
    } finally {
      if (fd !== null) closeSync(fd);
      rmSync(probe, { force: true });
    }
  }
}
