// What the cache knows about files and directories: stat stamps, content hashes
// with the facts scanned from the text (time macros, __has_include probes), and
// directory listings. Hashes and listings are remembered across compiles, keyed
// by the stat stamp, because a build reads the same system headers hundreds of times.
//
// Remembering by stamp is only sound for a stamp that cannot recur after a change.
// File timestamps come from a coarse kernel clock, so a file written twice within
// one tick can keep mtime, ctime and size. As git does for its index ("racily
// clean" entries), a stamp younger than `racySlackMs` at the time we read the file
// is never reused: the file is read again next time.
//
// The lookups a cache hit makes (a stat per header, a memo look-up) have sync forms:
// a hit stats some hundred files, and a synchronous stat of a local file costs a few
// microseconds where a promise round trip through libuv's thread pool costs tens.

import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { trimmableLru, type TrimmableLru } from '../fs/bounded-lru.js';
import { isMissing, sameStamp, stampOf, statStampSync, type StatStamp } from '../fs/stat-stamp.js';
import { quickMatches, quickOf, quickStat, sameQuick, type QuickStat } from '../fs/quick-stat.js';
import { isRacy } from '../fs/racy.js';
import { commentBlindFacts, type CommentBlindFacts } from './comment-blind.js';
import { SharedRecords } from './shared-records.js';

/** The cache's racy window (fs/racy.ts). Its reference time is the start of each compile,
 *  and a result is not stored when a header it read is racy: a window of seconds (as the
 *  daemons' hash memos use) would refuse to cache every compile of a header saved just
 *  before the build. It only has to cover the file clock's tick (a jiffy is 4-10 ms;
 *  NFS can be worse). */
export const DEFAULT_RACY_SLACK_MS = 50;

// ------------------------------------------------------------ file contents

export interface HasIncludeProbe {
  name: string;
  angled: boolean;
}

export interface FileFacts {
  /** sha256 hex of the content. */
  hash: string;
  size: number;
  /** "__TIME__" etc. when the text has one of the time macros, else null. */
  timeMacro: string | null;
  /** Literal names probed with __has_include / __has_include_next. */
  probes: readonly HasIncludeProbe[];
  /** A __has_include whose argument is not a literal (a macro): its name is unknown. */
  dynamicProbe: boolean;
  /** Comment-blind hash and include names (comment-blind.ts): only for files read with
   *  `lexed` (project sources and headers), since system headers are checked by stat. */
  blind?: CommentBlindFacts;
}

const TIME_MACRO = /__(DATE|TIME|TIMESTAMP)__/;
const HAS_INCLUDE = /__has_include(?:_next)?(?:__)?\s*\(\s*(?:<([^>\n]*)>|"([^"\n]*)")?/g;

/** The probes of a file that has none, which is nearly every file: one list for them all
 *  (the compilation daemon's file memo holds 16,384 facts at a big build's peak). */
const NO_PROBES: readonly HasIncludeProbe[] = Object.freeze([]);

/** Scans text (read as latin1, so every byte maps to one char) for what the cache must know. */
export function scanText(text: string): Omit<FileFacts, 'hash' | 'size'> {
  const t = TIME_MACRO.exec(text);
  let probes: HasIncludeProbe[] | undefined;
  let dynamicProbe = false;
  if (text.includes('__has_include')) {
    for (const m of text.matchAll(HAS_INCLUDE)) {
      if (m[1] !== undefined) (probes ??= []).push({ name: m[1].trim(), angled: true });
      else if (m[2] !== undefined) (probes ??= []).push({ name: m[2], angled: false });
      else dynamicProbe = true;
    }
  }
  return { timeMacro: t ? t[0] : null, probes: probes ?? NO_PROBES, dynamicProbe };
}

export function factsOf(data: Buffer, lexed = false): FileFacts {
  const hash = createHash('sha256').update(data).digest('hex');
  const { timeMacro, probes, dynamicProbe } = scanText(data.toString('latin1'));
  // Every field in one literal, \`blind\` included: one shape with its fields in the object,
  // not a spread's fields and a later \`blind\` in a property array of their own.
  return { hash, size: data.length, timeMacro, probes, dynamicProbe, blind: lexed ? commentBlindFacts(data, hash) : undefined };
}

export interface FileSnapshot {
  stamp: StatStamp;
  facts: FileFacts;
  /** The stamp did not change while the file was read. */
  stable: boolean;
}

/** Reads a file and stats it before and after, through one descriptor. */
export async function snapshotFile(path: string): Promise<FileSnapshot | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw e;
  }
  try {
    const before = stampOf(await fh.stat({ bigint: true }));
    if (before.kind !== 'file') return null;
    const data = await fh.readFile();
    const after = stampOf(await fh.stat({ bigint: true }));
    return { stamp: after, facts: factsOf(data), stable: sameStamp(before, after) };
  } finally {
    await fh.close();
  }
}

/** snapshotFile, synchronously; `lexed` adds the comment-blind facts. */
export function snapshotFileSync(path: string, lexed = false): FileSnapshot | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if (isMissing(e) || (e as NodeJS.ErrnoException).code === 'EISDIR') return null;
    throw e;
  }
  try {
    const before = stampOf(fstatSync(fd, { bigint: true }));
    if (before.kind !== 'file') return null;
    const data = readFileSync(fd);
    const after = stampOf(fstatSync(fd, { bigint: true }));
    return { stamp: after, facts: factsOf(data, lexed), stable: sameStamp(before, after) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Content hashes and scans of files, remembered by stat stamp. Implements the
 * HeaderHasher contract (sha256 hex of the content, null when missing), so it is
 * also the default hasher when no discovery daemon supplies one.
 */
export class FileInfoCache {
  /** A stamp vouches for its entry by its quick form (quick-stat.ts), which the racy check
   *  already cached on it: no QuickStat of its own per entry. */
  private readonly memo: TrimmableLru<string, { stamp: StatStamp; facts: FileFacts }>;
  /** The #include records of lexed files, kept once: every TU names the same few
   *  headers (a third of a tiny TU's entry was its own copies of them). */
  private readonly includes = new SharedRecords();

  constructor(
    private readonly racySlackMs = DEFAULT_RACY_SLACK_MS,
    // Per TU (its source, lexed: ~1.6 KB) plus the headers. A build of more sources than
    // this evicts each before its next use, so past it the memo is only the build's peak;
    // 8,192 made a 5,000-TU warm build 15 % slower (more than one entry a TU is kept).
    maxEntries = 16_384,
  ) {
    this.memo = trimmableLru(maxEntries);
  }

  /** Current stamp and facts of `path`; reads it only when the stamp is new or was racy
   *  (or when `lexed` facts are wanted and were not taken when it was read). */
  getSync(path: string, lexed = false): FileSnapshot | null {
    const known = this.memo.get(path);
    if (known) {
      if (sameAsRecorded(path, known.stamp) && (!lexed || known.facts.blind)) {
        return { stamp: known.stamp, facts: known.facts, stable: true };
      }
      this.memo.delete(path);
    }
    const readAt = Date.now();
    const snap = snapshotFileSync(path, lexed);
    if (snap && snap.stable && !isRacy(snap.stamp, readAt, this.racySlackMs)) {
      const blind = snap.facts.blind;
      // Equal records in place of this read's own: nothing changes them once read.
      if (blind) blind.includes = this.includes.each(blind.includes);
      this.memo.set(path, { stamp: snap.stamp, facts: snap.facts });
    }
    return snap;
  }

  async get(path: string, lexed = false): Promise<FileSnapshot | null> {
    return this.getSync(path, lexed);
  }

  async hash(path: string): Promise<string | null> {
    return this.getSync(path)?.facts.hash ?? null;
  }

  /** The comment-blind hash (comment-blind.ts), null when the file is missing. */
  async commentBlindHash(path: string): Promise<string | null> {
    return this.blindHashSync(path);
  }

  blindHashSync(path: string): string | null {
    return this.getSync(path, true)?.facts.blind?.blindHash ?? null;
  }

  clear(): void {
    this.memo.clear();
    this.includes.clear();
  }

  /** Drops memos that overflowed during the last build (bounded-lru.ts). */
  trimOverflowed(): void {
    if (this.memo.dropIfOverflowed()) this.includes.clear();
  }
}

/** Is `path` still the file `stamp` recorded? A plain stat, or a bigint one when the
 *  inode number is past what a double holds. */
function sameAsRecorded(path: string, stamp: StatStamp): boolean {
  const q = quickStat(path);
  if (!q) return false;
  return quickMatches(q, stamp) ?? sameStamp(statStampSync(path), stamp);
}

// ------------------------------------------------------------ directories

export type Listing = ReadonlyMap<string, 'dir' | 'file' | 'symlink' | 'other'>;

export interface DirListing {
  stamp: StatStamp;
  names: Listing;
  /** sha256 of the sorted names and kinds, computed on first use. */
  digest?: string;
  quick?: QuickStat;
}

/** What a listing says, independent of the directory's inode and times: another
 *  checkout's copy of a directory with the same entries has the same digest. */
export function listingDigest(l: DirListing): string {
  if (l.digest === undefined) {
    const h = createHash('sha256');
    for (const n of [...l.names.keys()].sort()) h.update(`${n}\0${l.names.get(n)}\n`);
    l.digest = h.digest('hex');
  }
  return l.digest;
}

/** Directory listings remembered by the directory's stamp, with the same racy rule. */
export class DirListingCache {
  private readonly memo: TrimmableLru<string, DirListing>;

  constructor(
    private readonly racySlackMs = DEFAULT_RACY_SLACK_MS,
    maxEntries = 20_000,
  ) {
    this.memo = trimmableLru(maxEntries);
  }

  /** Drops memos that overflowed during the last build (bounded-lru.ts). */
  trimOverflowed(): void {
    this.memo.dropIfOverflowed();
  }

  /** The listing of `dir` and the stamp it belongs to, or null when `dir` is not a directory. */
  async list(dir: string): Promise<DirListing | null> {
    return this.listSync(dir);
  }

  /** `st`: a stat of `dir` the caller already has (a build's shared one, build-stats.ts),
   *  which then vouches for the memo as a fresh one would. */
  listSync(dir: string, st?: QuickStat | null): DirListing | null {
    const known = this.memo.get(dir);
    if (known && sameQuick(st === undefined ? quickStat(dir) : st, known.quick!)) return known;
    const before = statStampSync(dir);
    if (!before || before.kind !== 'dir') return null;
    const readAt = Date.now();
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    const names = new Map<string, 'dir' | 'file' | 'symlink' | 'other'>();
    for (const d of entries) {
      names.set(d.name, d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other');
    }
    const after = statStampSync(dir);
    const result: DirListing = { stamp: before, names, quick: quickOf(before) };
    if (after && sameStamp(before, after) && !isRacy(before, readAt, this.racySlackMs)) {
      this.memo.set(dir, result);
    }
    return result;
  }
}
