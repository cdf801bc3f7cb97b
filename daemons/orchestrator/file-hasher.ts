// Content hashes decide what is up to date, not mtimes: a touched but unchanged
// file costs a re-read, never a rebuild. The stat cache only spares re-reading a
// file whose size, mtime, ctime and inode are all unchanged.
//
// The cache can be persisted (.replibuild/state/hash-cache.json), so a process that
// lives for one build (--no-daemon, CI) stats an unchanged file instead of reading
// it. As in git's index, an entry is only kept when the file had not changed for
// a while when it was hashed ("racily clean" files are hashed again every time):
// a write within the same timestamp tick as the hash could leave the stamp as it was.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import PQueue from 'p-queue';
import { isRacyTime } from '../../fs/racy.js';
import { StampMemo } from '../../fs/stamp-memo.js';
import { newestMsOf, stampKeyOf } from '../../fs/stat-stamp.js';
import { HashSlots } from './hash-slots.js';
import { isPlainRelative } from '../../fs/plain-path.js';
import { sha256File } from '../../fs/file-hash.js';
import { PIECE_CHARS, writePiecesAtomicAsync } from '../../fs/atomic-write.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../fs/private-files.js';

export interface FileHasher {
  /** sha256 hex of the file's content; null when it is missing (or not a readable file).
   *  Relative paths are relative to the project root; absolute ones (system headers) are fine. */
  hash(relPath: string): Promise<string | null>;
  /** Which of `paths` (named as for hash) exist now as something other than a directory
   *  (symlinks followed). Reads no content. Without it, callers fall back on hash. */
  existing?(paths: readonly string[]): Promise<Set<string>>;
  /** The entries of a directory with their kinds ('maybe': a symlink or unknown type, which
   *  only a stat settles); null when there is no such directory; 'unlisted' when it exists
   *  but cannot be read. Reads no content. */
  listDir?(dir: string): Promise<DirListing>;
  /** hash() and the file's newest timestamp from one stat; without it, callers stat again. */
  hashWithTime?(relPath: string): Promise<HashWithTime | null>;
  /** The hash kept of a file with the stamp (stampKeyOf) it was read under, with no stat
   *  now: while the file still has that stamp, it has that content. `abs`: an absolute,
   *  resolved path (asked for thousands of objects at once: no resolve() here). */
  rememberedAt?(abs: string): { readonly stamp: string; readonly hash: string } | undefined;
}

export interface HashWithTime {
  hash: string;
  /** max(mtime, ctime) in ms, as the stat that vouched for the hash saw it. */
  newestMs: number;
}

export type EntryKind = 'file' | 'dir' | 'maybe';
export type DirListing = ReadonlyMap<string, EntryKind> | null | 'unlisted';

const MISSING = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'ELOOP', 'ENAMETOOLONG']);

/** The hasher's racy window (fs/racy.ts). Its memo lives as long as a daemon and is
 *  persisted for the next process, with no reference time of a compile to check against:
 *  it covers filesystems whose timestamps have 1-2 s resolution, at the price of one
 *  re-read of a file saved in the last two seconds. */
const RACY_MS = 2000;

export const HASH_CACHE_VERSION = 1;
/** Files below this size are read in one synchronous call. */
const SMALL_FILE = 1n << 20n;
/** Entries not used by any of this many saving processes are dropped. */
const KEEP_GENERATIONS = 16;

export function hashCachePath(root: string): string {
  return join(root, '.replibuild', 'state', 'hash-cache.json');
}

/** On disk: key (relative to the root inside it, else absolute) → [stamp, sha256, generation]. */
interface HashCacheFile {
  version: typeof HASH_CACHE_VERSION;
  gen: number;
  entries: Record<string, [string, string, number]>;
}

export class StatCachingHasher implements FileHasher {
  /** keyOf(path) → stamp, hash and the generation of the last save that saw it used. */
  private readonly cache = new HashSlots();
  private readonly pending = new Map<string, Promise<string | null>>();
  /** The root as a prefix of the absolute paths inside it. */
  private readonly under: string;
  /** Figures for status and tests: content reads, and answers from the cache after a stat. */
  readonly counters = { reads: 0, hits: 0 };
  /** Existence checks (existing()): stats and directory listings. */
  readonly existence = { stats: 0, listings: 0 };

  /** Big files hashed at once (streamed); keeps a big plan clear of EMFILE. */
  private readonly bigReads: PQueue;
  /** 0: every stamp is trusted (tests that write and hash in the same tick). */
  private readonly racyWindowMs: number;
  private readonly cacheFile: string | null;
  private loading: Promise<void> | null = null;
  /** Generation this process's save writes; entries used here get it. */
  private gen = 1;
  private changed = false;
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly root: string,
    opts: {
      /** Files read at once; keeps a big plan clear of EMFILE. */
      maxOpen?: number;
      /** Files changed more recently than this are hashed again on every call. */
      racyWindowMs?: number;
      /** Where load() and save() keep the cache; none: it lives in memory only. */
      cacheFile?: string;
    } = {},
  ) {
    this.bigReads = new PQueue({ concurrency: opts.maxOpen ?? 64 });
    this.racyWindowMs = opts.racyWindowMs ?? RACY_MS;
    this.cacheFile = opts.cacheFile ?? null;
    this.under = resolve(root) + sep;
  }

  /** The memo's key of a path: relative to the root when inside it, else absolute. A
   *  relative path with nothing to normalize is its own key, the very string the caller
   *  holds (a plan's sources and objects: at 20,000 TUs 40,000 keys, 2.7 MB as copies). */
  private keyOf(path: string): string {
    if (isPlainRelative(path)) return path;
    const abs = resolve(this.root, path);
    return abs.startsWith(this.under) && abs.length > this.under.length ? abs.slice(this.under.length) : abs;
  }

  private absOf(key: string): string {
    return key.startsWith('/') ? key : this.under + key;
  }

  /** A hasher whose cache persists in the project's hash-cache.json. */
  static persistent(root: string, opts: { maxOpen?: number; racyWindowMs?: number } = {}): StatCachingHasher {
    return new StatCachingHasher(root, { ...opts, cacheFile: hashCachePath(root) });
  }

  hash(relPath: string): Promise<string | null> {
    const key = this.keyOf(relPath);
    const inflight = this.pending.get(key);
    if (inflight) return inflight;
    const p = this.compute(key)
      .then((r) => r?.hash ?? null)
      .finally(() => this.pending.delete(key));
    this.pending.set(key, p);
    return p;
  }

  /** hash(), with the newer of the file's mtime and ctime (ms) from the same stat: one
   *  stat answers both "what is it" and "did it change since". Never shares a stat
   *  taken for another caller. */
  hashWithTime(relPath: string): Promise<HashWithTime | null> {
    return this.compute(this.keyOf(relPath));
  }

  rememberedAt(abs: string): { readonly stamp: string; readonly hash: string } | undefined {
    const slot = this.cache.slotOf(abs.startsWith(this.under) ? abs.slice(this.under.length) : abs);
    if (slot === undefined) return undefined;
    this.cache.setGen(slot, this.gen); // in use: kept by the next save
    return { stamp: this.cache.stampOf(slot), hash: this.cache.hashOf(slot) };
  }

  /** Forgets cached hashes (all, or of one path). */
  invalidate(relPath?: string): void {
    if (relPath === undefined) this.cache.clear();
    else this.cache.delete(this.keyOf(relPath));
    this.changed = true;
  }

  private async compute(key: string): Promise<HashWithTime | null> {
    const abs = this.absOf(key);
    try {
      // A synchronous stat: a build asks about hundreds of (mostly system) headers at
      // once, and a local stat costs microseconds where a thread-pool round trip
      // each costs far more; most answers then come from the cache without waiting.
      const st = statSync(abs, { bigint: true });
      if (!st.isFile()) {
        this.forget(key);
        return null;
      }
      const newestMs = newestMsOf(st);
      const hit = this.cache.slotOf(key);
      if (hit !== undefined && this.cache.matches(hit, st)) {
        this.counters.hits++;
        this.cache.setGen(hit, this.gen);
        return { hash: this.cache.hashOf(hit), newestMs };
      }
      // Sources, headers and most objects are small: one synchronous read beats a stream's
      // several thread-pool round trips (5 ms for a 2 KB source, measured in a daemon).
      const hash = st.size < SMALL_FILE ? createHash('sha256').update(readFileSync(abs)).digest('hex') : await this.bigReads.add(() => sha256File(abs));
      this.counters.reads++;
      if (this.racyWindowMs === 0 || !isRacyTime(newestMs, Date.now(), this.racyWindowMs)) {
        this.cache.set(key, st, hash, this.gen);
        this.changed = true;
      } else this.forget(key);
      return { hash, newestMs };
    } catch (e) {
      if (MISSING.has((e as NodeJS.ErrnoException).code ?? '')) {
        this.forget(key);
        return null;
      }
      throw e;
    }
  }

  private forget(key: string): void {
    if (this.cache.delete(key)) this.changed = true;
  }

  existing(paths: readonly string[]): Promise<Set<string>> {
    return existingFiles(this.root, paths, this.existence);
  }

  listDir(dir: string): Promise<DirListing> {
    return listDirectory(resolve(this.root, dir), this.existence);
  }

  // ------------------------------------------------------------ persistence

  /** Reads the persisted cache (once; later calls wait for the first). A missing,
   *  corrupt or other-version file is an empty cache. Entries known in memory win. */
  load(): Promise<void> {
    this.loading ??= this.loadNow();
    return this.loading;
  }

  private async loadNow(): Promise<void> {
    if (!this.cacheFile) return;
    let data: HashCacheFile;
    try {
      data = JSON.parse(await readFile(this.cacheFile, 'utf8')) as HashCacheFile;
    } catch {
      return;
    }
    if (!data || data.version !== HASH_CACHE_VERSION || typeof data.entries !== 'object' || data.entries === null) return;
    if (Number.isSafeInteger(data.gen) && data.gen >= 0) this.gen = data.gen + 1;
    for (const [key, v] of Object.entries(data.entries)) {
      if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string') continue;
      const k = this.keyOf(key);
      const gen = typeof v[2] === 'number' && v[2] >= 0 && v[2] <= 0xffffffff ? Math.floor(v[2]) : 0;
      if (this.cache.slotOf(k) === undefined) this.cache.setFromText(k, v[0], v[1], gen);
    }
  }

  /** Writes the cache (temp + rename) when it changed since it was loaded or last saved. */
  save(): Promise<void> {
    const next = this.saving.catch(() => undefined).then(() => this.saveNow());
    this.saving = next;
    return next;
  }

  private async saveNow(): Promise<void> {
    if (!this.cacheFile || !this.changed) return;
    await this.load();
    this.changed = false;
    // Written as HashCacheFile's JSON text entry by entry: at 20,000 TUs the cache holds
    // some 40,000 paths, and path.relative() of each plus a 40,000-key object to stringify
    // took seconds of CPU on a loaded machine, which the next build waits for (settling).
    // Nor is the text made whole: it is written piece by piece as it is made.
    const cache = this.cache;
    const gen = this.gen;
    function* pieces(): Generator<string> {
      let piece = `{"version":${HASH_CACHE_VERSION},"gen":${gen},"entries":{`;
      let first = true;
      // Keys as the memo has them: inside the project relative to it, others absolute.
      for (const [key, slot] of cache.entries()) {
        const g = cache.genOf(slot);
        if (g < gen - KEEP_GENERATIONS) {
          cache.delete(key);
          continue;
        }
        piece += `${first ? '' : ','}${JSON.stringify(key)}:["${cache.stampOf(slot)}","${cache.hashOf(slot)}",${g}]`;
        first = false;
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
        }
      }
      yield `${piece}}}`;
    }
    try {
      await writePiecesAtomicAsync(this.cacheFile, pieces, { mode: PRIVATE_FILE_MODE, dirMode: PRIVATE_DIR_MODE, within: this.root });
    } catch (e) {
      this.changed = true;
      throw e;
    }
    // Later saves of this process are a new generation.
    this.gen++;
    for (const [, slot] of this.cache.entries()) if (this.cache.genOf(slot) === this.gen - 1) this.cache.setGen(slot, this.gen);
  }
}

export function createFileHasher(root: string): StatCachingHasher {
  return new StatCachingHasher(root);
}

// ------------------------------------------------------------ existence

function kindOf(d: Dirent): EntryKind {
  if (d.isFile()) return 'file';
  if (d.isDirectory()) return 'dir';
  return 'maybe'; // symlink, unknown type: stat decides
}

/** See FileHasher.listDir. */
export function listDirectory(abs: string, counters?: { listings: number }): Promise<DirListing> {
  return Promise.resolve(listDirectorySync(abs, counters));
}

/** Listings kept across builds, each with the stamp of its directory when listed. A
 *  directory's mtime moves whenever an entry is added, removed or renamed, so an equal
 *  stamp means the same names; a listing taken within the racy window of its
 *  directory's last change is not kept (timestamps are coarser than the changes they date). */
const listingCache = new StampMemo<ReadonlyMap<string, EntryKind>>(RACY_MS, 20_000);

function listDirectorySync(abs: string, counters?: { listings: number }): DirListing {
  // Synchronous, like the hasher's stats: local directories, one syscall each, and a
  // build asks about hundreds of them at once.
  let st;
  try {
    // Most include-search candidates' directories do not exist: no exception for those.
    st = statSync(abs, { bigint: true, throwIfNoEntry: false });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : 'unlisted';
  }
  if (!st || !st.isDirectory()) return null;
  const stamp = stampKeyOf(st);
  const known = listingCache.get(abs, stamp);
  if (known) return known;
  if (counters) counters.listings++;
  let listing: Map<string, EntryKind>;
  try {
    listing = new Map(readdirSync(abs, { withFileTypes: true }).map((d) => [d.name, kindOf(d)]));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? null : 'unlisted';
  }
  listingCache.remember(abs, stamp, listing, newestMsOf(st), Date.now());
  return listing;
}

function splitPath(p: string): { dir: string; base: string } | null {
  const i = p.lastIndexOf('/');
  const base = p.slice(i + 1);
  if (base === '' || base === '.' || base === '..') return null;
  return { dir: i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i), base };
}

/** Directory listings, each taken once: what a directory held when first asked. */
export class DirListings {
  private readonly lists = new Map<string, Promise<DirListing>>();
  private readonly syncLists = new Map<string, DirListing>();
  constructor(
    readonly root: string,
    private readonly counters?: { listings: number },
  ) {}

  /** The entries of `dir`; null when there is no such directory; 'unlisted' when it
   *  exists but cannot be listed (no read permission: its files may still be opened). */
  list(dir: string): Promise<DirListing> {
    const abs = resolve(this.root, dir);
    let l = this.lists.get(abs);
    if (!l) this.lists.set(abs, (l = listDirectory(abs, this.counters)));
    return l;
  }

  /** The paths whose directory listing shows a non-directory entry of that name (or
   *  one whose type needs a stat): a superset of what existed when listed. Listings are
   *  taken synchronously, each directory once per instance (looked up by the path as
   *  given: no resolve() per candidate). */
  maybeExistingSync(paths: readonly string[]): string[] {
    const out: string[] = [];
    for (const p of paths) {
      const s = splitPath(p);
      if (!s) {
        out.push(p);
        continue;
      }
      let l = this.syncLists.get(s.dir);
      if (l === undefined) this.syncLists.set(s.dir, (l = listDirectorySync(resolve(this.root, s.dir), this.counters)));
      if (l === 'unlisted') {
        out.push(p);
        continue;
      }
      const k = l?.get(s.base);
      if (k !== undefined && k !== 'dir') out.push(p);
    }
    return out;
  }
}

/** Directories holding at least this many of the paths asked about are listed, not stat'ed per path. */
const LIST_THRESHOLD = 8;

async function isNonDir(abs: string): Promise<boolean> {
  const st = statSync(abs, { throwIfNoEntry: false });
  return st !== undefined && !st.isDirectory();
}

/** Which of `paths` exist now as non-directories (symlinks followed); relative = to `root`. */
export async function existingFiles(
  root: string,
  paths: readonly string[],
  counters: { stats: number; listings: number } = { stats: 0, listings: 0 },
): Promise<Set<string>> {
  const byDir = new Map<string, { path: string; base: string }[]>();
  const single: string[] = [];
  for (const p of new Set(paths)) {
    const s = splitPath(p);
    if (!s) {
      single.push(p);
      continue;
    }
    let g = byDir.get(s.dir);
    if (!g) byDir.set(s.dir, (g = []));
    g.push({ path: p, base: s.base });
  }
  const listings = new DirListings(root, counters);
  const found = new Set<string>();
  const check = async (p: string) => {
    counters.stats++;
    if (await isNonDir(resolve(root, p))) found.add(p);
  };
  const work: Promise<void>[] = single.map(check);
  for (const [dir, group] of byDir) {
    if (group.length < LIST_THRESHOLD) {
      for (const g of group) work.push(check(g.path));
      continue;
    }
    work.push(
      (async () => {
        const l = await listings.list(dir);
        if (!l) return; // no such directory: nothing below it
        if (l === 'unlisted') {
          await Promise.all(group.map((g) => check(g.path)));
          return;
        }
        await Promise.all(
          group.map(async (g) => {
            const k = l.get(g.base);
            if (k === 'file') found.add(g.path);
            else if (k === 'maybe') await check(g.path);
          }),
        );
      })(),
    );
  }
  await Promise.all(work);
  return found;
}
