// Checking a direct-mode entry (manifest.ts, step 5 of the scheme) on the hit path.

import { DirListingCache, listingDigest, type FileInfoCache } from './fs-snapshot.js';
import { quickMatches, quickMatchesDir, quickStat, type QuickStat } from '../fs/quick-stat.js';
import { sameStamp, statStampSync } from '../fs/stat-stamp.js';
import { absLiteral, hasherPath } from './literal-paths.js';
import { recordedHash, type DirRecord, type HeaderHasher, type HeaderRecord, type ManifestEntry, type PresentRecord } from './manifest.js';

/**
 * Checks entries of one manifest (and memoizes stats across them). This is the hit
 * path, so it stats synchronously (fs-snapshot.ts) and trusts a header whose stat
 * stamp (size, mtime, ctime, inode) is the one recorded with its hash: entries are
 * only stored when every header's stamp is older than the compile's start by the
 * racy margin, so that stamp cannot have been kept by a later write (git's
 * racily-clean rule). Only a header whose stamp moved is hashed again, through the
 * stamp-keyed memo of FileInfoCache. With an injected HeaderHasher (the discovery
 * daemon's), project headers are asked of it instead, as its contract says.
 */
export class EntryChecker {
  private readonly projectHashes = new Map<string, Promise<string | null>>();
  private readonly custom: boolean;
  /** The first reason an entry did not hold, for the trace's cache-miss reason. */
  stale: string | null = null;

  constructor(
    private readonly cwd: string,
    private readonly hasher: HeaderHasher,
    private readonly files: FileInfoCache,
    private readonly dirs: DirListingCache = new DirListingCache(),
    /** Stats already taken, shared by the checks of one build (build-stats.ts). */
    private readonly stats: Map<string, QuickStat | null> = new Map(),
    /** stampMatches' answers by working directory and record, shared likewise (build-stats.ts). */
    stamps: Map<string, Map<object, boolean | null>> = new Map(),
  ) {
    this.custom = (hasher as unknown) !== files;
    let mine = stamps.get(cwd);
    if (!mine) stamps.set(cwd, (mine = new Map()));
    this.stamps = mine;
  }

  private readonly stamps: Map<object, boolean | null>;

  private dirOk(d: DirRecord): boolean {
    if (d.names !== undefined) {
      // The listing memo is vouched for by the build's stat of the dir, as the other
      // records are (build-stats.ts says why that is sound).
      const l = this.dirs.listSync(absLiteral(this.cwd, d.path), this.stat(d.path));
      return l !== null && listingDigest(l) === d.names;
    }
    const st = this.stat(d.path);
    if (!st) return false;
    const q = quickMatchesDir(st, d);
    if (q !== null) return q;
    const full = statStampSync(absLiteral(this.cwd, d.path));
    return full !== null && full.kind === 'dir' && full.mtime_ns === d.mtime_ns && full.ctime_ns === d.ctime_ns && full.ino === d.ino;
  }

  private presentOk(p: PresentRecord): boolean {
    const st = this.stat(p.path);
    if (!st) return false;
    const q = quickMatches(st, p.stamp);
    return q !== null ? q : sameStamp(statStampSync(absLiteral(this.cwd, p.path)), p.stamp);
  }

  private stat(p: string): QuickStat | null {
    const abs = absLiteral(this.cwd, p);
    let r = this.stats.get(abs);
    if (r === undefined) this.stats.set(abs, (r = quickStat(abs)));
    return r;
  }

  private stampMatches(h: HeaderRecord): boolean | null {
    let same = this.stamps.get(h);
    if (same === undefined) this.stamps.set(h, (same = this.stampMatchesNow(h)));
    return same;
  }

  private stampMatchesNow(h: HeaderRecord): boolean | null {
    const st = this.stat(h.path);
    if (!st || st.kind !== 'file') return null;
    const q = quickMatches(st, h);
    if (q !== null) return q;
    const full = statStampSync(absLiteral(this.cwd, h.path));
    return full !== null && full.size === h.size && full.mtime_ns === h.mtime_ns && full.ctime_ns === h.ctime_ns && full.ino === h.ino;
  }

  /** True or false when known without the injected hasher, else undefined. */
  private headerOkSync(h: HeaderRecord, blind: boolean): boolean | undefined {
    if (h.project && this.custom) return undefined;
    const same = this.stampMatches(h);
    if (same === null) return false;
    if (same) return true;
    const snap = this.files.getSync(absLiteral(this.cwd, h.path), h.project && blind);
    if (!snap) return false;
    return recordedHash(snap, h.project && blind) === h.hash;
  }

  private async headerOkCustom(h: HeaderRecord, blind: boolean): Promise<boolean> {
    const abs = absLiteral(this.cwd, h.path);
    const k = blind ? `b\0${abs}` : abs;
    let r = this.projectHashes.get(k);
    if (!r) {
      const hp = hasherPath(this.cwd, h.path);
      if (!hp) r = Promise.resolve(blind ? this.files.blindHashSync(abs) : this.files.getSync(abs)?.facts.hash ?? null);
      else if (!blind) r = this.hasher.hash(hp);
      // An entry recorded comment-blind cannot be checked by a hasher that cannot hash so.
      else r = this.hasher.commentBlindHash ? this.hasher.commentBlindHash(hp) : Promise.resolve(null);
      this.projectHashes.set(k, r);
    }
    return (await r) === h.hash;
  }

  /**
   * After `check` found the entry stale: could `-E` still produce what it produced for
   * this entry? Only if nothing but project headers changed and each changed one kept
   * its token hash (a comment or white-space edit, the case preprocessor mode is for).
   * A real edit, a new or removed file, a changed system header: -E would almost surely
   * hash something new, so it is not worth running before the compile. Unknown (no
   * token hash, an injected hasher): worth it, as before this guess existed.
   */
  mayPreprocessAlike(e: ManifestEntry): boolean {
    for (const d of e.dirs) if (!this.dirOk(d)) return false;
    for (const p of e.absent) if (this.stat(p)) return false;
    for (const p of e.present) if (!this.presentOk(p)) return false;
    const blind = e.blind === true;
    let changed = false;
    for (const h of e.headers) {
      if (h.project && this.custom) return true;
      if (this.headerOkSync(h, blind)) continue;
      if (!h.project) return false;
      if (h.tok === undefined) return true;
      const snap = this.files.getSync(absLiteral(this.cwd, h.path), true);
      if (!snap?.facts.blind || snap.facts.blind.tokenHash !== h.tok) return false;
      changed = true;
    }
    // Nothing changed at all: the entry holds and only its result is gone; -E would find that same key.
    return changed;
  }

  noteStale(why: string): void {
    this.stale ??= why;
  }

  /** Null when the entry holds, else the first reason found that it does not. */
  async check(e: ManifestEntry): Promise<string | null> {
    const why = await this.firstFailure(e);
    if (why !== null) this.noteStale(why);
    return why;
  }

  private async firstFailure(e: ManifestEntry): Promise<string | null> {
    for (const d of e.dirs) if (!this.dirOk(d)) return `directory ${d.path} changed`;
    for (const p of e.absent) if (this.stat(p)) return `${p} appeared`;
    for (const p of e.present) if (!this.presentOk(p)) return `${p.path} changed`;
    const blind = e.blind === true;
    let pending: HeaderRecord[] | null = null;
    for (const h of e.headers) {
      const ok = this.headerOkSync(h, blind);
      if (ok === false) return `header ${h.path} changed or is gone`;
      if (ok === undefined) (pending ??= []).push(h);
    }
    if (pending) {
      const oks = await Promise.all(pending.map((h) => this.headerOkCustom(h, blind)));
      const i = oks.indexOf(false);
      if (i >= 0) return `header ${pending[i]!.path} changed or is gone`;
    }
    return null;
  }
}
