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

import { createHash } from 'node:crypto';
import type { BigIntStats } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';

/** Default margin for the coarse file clock (a jiffy is 4–10 ms; NFS can be worse). */
export const DEFAULT_RACY_SLACK_MS = 50;

export type FileKind = 'file' | 'dir' | 'other';

export interface StatStamp {
  kind: FileKind;
  size: number;
  /** Nanoseconds since the epoch, as decimal strings (beyond 2^53). */
  mtime_ns: string;
  ctime_ns: string;
  ino: string;
  dev: string;
}

function stampOf(st: BigIntStats): StatStamp {
  return {
    kind: st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other',
    size: Number(st.size),
    mtime_ns: st.mtimeNs.toString(),
    ctime_ns: st.ctimeNs.toString(),
    ino: st.ino.toString(),
    dev: st.dev.toString(),
  };
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP';
}

/** Stat following symlinks; null when nothing is there. */
export async function statStamp(path: string): Promise<StatStamp | null> {
  try {
    return stampOf(await stat(path, { bigint: true }));
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

export function sameStamp(a: StatStamp | null | undefined, b: StatStamp | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return (
    a.kind === b.kind &&
    a.size === b.size &&
    a.mtime_ns === b.mtime_ns &&
    a.ctime_ns === b.ctime_ns &&
    a.ino === b.ino &&
    a.dev === b.dev
  );
}

/** True when the file changed so recently before `referenceMs` that a later change
 *  within the same clock tick could leave the stamp as it is. */
export function isRacy(s: StatStamp, referenceMs: number, slackMs: number): boolean {
  const newest = BigInt(s.mtime_ns) > BigInt(s.ctime_ns) ? BigInt(s.mtime_ns) : BigInt(s.ctime_ns);
  return newest >= BigInt(Math.floor((referenceMs - slackMs) * 1e6));
}

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
  probes: HasIncludeProbe[];
  /** A __has_include whose argument is not a literal (a macro): its name is unknown. */
  dynamicProbe: boolean;
}

const TIME_MACRO = /__(DATE|TIME|TIMESTAMP)__/;
const HAS_INCLUDE = /__has_include(?:_next)?(?:__)?\s*\(\s*(?:<([^>\n]*)>|"([^"\n]*)")?/g;

/** Scans text (read as latin1, so every byte maps to one char) for what the cache must know. */
export function scanText(text: string): Omit<FileFacts, 'hash' | 'size'> {
  const t = TIME_MACRO.exec(text);
  const probes: HasIncludeProbe[] = [];
  let dynamicProbe = false;
  if (text.includes('__has_include')) {
    for (const m of text.matchAll(HAS_INCLUDE)) {
      if (m[1] !== undefined) probes.push({ name: m[1].trim(), angled: true });
      else if (m[2] !== undefined) probes.push({ name: m[2], angled: false });
      else dynamicProbe = true;
    }
  }
  return { timeMacro: t ? t[0] : null, probes, dynamicProbe };
}

export function factsOf(data: Buffer): FileFacts {
  return {
    hash: createHash('sha256').update(data).digest('hex'),
    size: data.length,
    ...scanText(data.toString('latin1')),
  };
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

/**
 * Content hashes and scans of files, remembered by stat stamp. Implements the
 * HeaderHasher contract (sha256 hex of the content, null when missing), so it is
 * also the default hasher when no discovery daemon supplies one.
 */
export class FileInfoCache {
  private readonly memo = new Map<string, { stamp: StatStamp; facts: FileFacts }>();

  constructor(
    private readonly racySlackMs = DEFAULT_RACY_SLACK_MS,
    private readonly maxEntries = 50_000,
  ) {}

  /** Current stamp and facts of `path`; reads it only when the stamp is new or was racy. */
  async get(path: string): Promise<FileSnapshot | null> {
    const known = this.memo.get(path);
    if (known) {
      const now = await statStamp(path);
      if (now && sameStamp(now, known.stamp)) {
        // Refresh its place in the LRU order.
        this.memo.delete(path);
        this.memo.set(path, known);
        return { stamp: now, facts: known.facts, stable: true };
      }
      this.memo.delete(path);
    }
    const readAt = Date.now();
    const snap = await snapshotFile(path);
    if (snap && snap.stable && !isRacy(snap.stamp, readAt, this.racySlackMs)) {
      this.memo.set(path, { stamp: snap.stamp, facts: snap.facts });
      if (this.memo.size > this.maxEntries) this.memo.delete(this.memo.keys().next().value!);
    }
    return snap;
  }

  async hash(path: string): Promise<string | null> {
    return (await this.get(path))?.facts.hash ?? null;
  }

  clear(): void {
    this.memo.clear();
  }
}

// ------------------------------------------------------------ directories

export type Listing = ReadonlyMap<string, 'dir' | 'file' | 'symlink' | 'other'>;

/** Directory listings remembered by the directory's stamp, with the same racy rule. */
export class DirListingCache {
  private readonly memo = new Map<string, { stamp: StatStamp; names: Listing }>();

  constructor(
    private readonly racySlackMs = DEFAULT_RACY_SLACK_MS,
    private readonly maxEntries = 20_000,
  ) {}

  /** The listing of `dir` and the stamp it belongs to, or null when `dir` is not a directory. */
  async list(dir: string): Promise<{ stamp: StatStamp; names: Listing } | null> {
    const before = await statStamp(dir);
    if (!before || before.kind !== 'dir') return null;
    const known = this.memo.get(dir);
    if (known && sameStamp(known.stamp, before)) return known;
    const readAt = Date.now();
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if (isMissing(e)) return null;
      throw e;
    }
    const names = new Map<string, 'dir' | 'file' | 'symlink' | 'other'>();
    for (const d of entries) {
      names.set(d.name, d.isDirectory() ? 'dir' : d.isFile() ? 'file' : d.isSymbolicLink() ? 'symlink' : 'other');
    }
    const after = await statStamp(dir);
    const result = { stamp: before, names };
    if (after && sameStamp(before, after) && !isRacy(before, readAt, this.racySlackMs)) {
      this.memo.set(dir, result);
      if (this.memo.size > this.maxEntries) this.memo.delete(this.memo.keys().next().value!);
    }
    return result;
  }
}
