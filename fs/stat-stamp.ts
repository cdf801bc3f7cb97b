// Stat stamps: what says "this file is as it was" without reading it. Every cache of
// hashes, listings and facts in replibuild is keyed by one of these, compared for
// equality, and trusted only when it is older than a racy window (racy.ts).
//
// Two forms, for two jobs. `StatStamp` holds nanosecond times and inode numbers as
// decimal strings: exact beyond 2^53 and JSON-safe, it is what manifests persist.
// `stampKeyOf` is the same identity as one string, built straight from a bigint stat
// with no object in between: that is what the per-header hot paths compare.

import { statSync, type BigIntStats } from 'node:fs';
import { stat } from 'node:fs/promises';

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

export function kindOf(st: { isFile(): boolean; isDirectory(): boolean }): FileKind {
  return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
}

/** "Nothing is at this path" (as opposed to a real I/O failure, which callers rethrow). */
export function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP';
}

/** The last device's decimal string: a process's stamps are nearly all of one or two
 *  devices, and memos keep tens of thousands of stamps (the compilation daemon's file memo). */
let lastDev: { dev: bigint; text: string } = { dev: -1n, text: '' };

export function stampOf(st: BigIntStats): StatStamp {
  if (st.dev !== lastDev.dev) lastDev = { dev: st.dev, text: st.dev.toString() };
  const mtime_ns = st.mtimeNs.toString();
  return {
    kind: kindOf(st),
    size: Number(st.size),
    mtime_ns,
    // A file written once has ctime = mtime: one string for both.
    ctime_ns: st.ctimeNs === st.mtimeNs ? mtime_ns : st.ctimeNs.toString(),
    ino: st.ino.toString(),
    dev: lastDev.text,
  };
}

/** Bigint stat following symlinks; null when nothing is there (see isMissing). */
export function statBigSync(path: string): BigIntStats | null {
  try {
    return statSync(path, { bigint: true, throwIfNoEntry: false }) ?? null;
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

export async function statBig(path: string): Promise<BigIntStats | null> {
  try {
    return await stat(path, { bigint: true });
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
}

/** Stat following symlinks; null when nothing is there. */
export async function statStamp(path: string): Promise<StatStamp | null> {
  const st = await statBig(path);
  return st && stampOf(st);
}

/** statStamp, synchronously: a local stat costs a few µs, a thread-pool round trip tens. */
export function statStampSync(path: string): StatStamp | null {
  const st = statBigSync(path);
  return st && stampOf(st);
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

/** A stamp as one string: equal strings, equal stamps (kind aside). The hash cache
 *  persists this form (hash-cache.json), so it does not change without a version bump. */
export function stampKeyOf(st: BigIntStats): string {
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}:${st.dev}`;
}

/** stampKeyOf without the ctime: what a rename leaves as it was (it moves the ctime),
 *  while a write to the file moves its mtime. Says a file is the one written before it
 *  was renamed into place. */
export function contentStampKeyOf(st: BigIntStats): string {
  return `${st.size}:${st.mtimeNs}:${st.ino}:${st.dev}`;
}

/** stampKeyOf for stamps already taken apart (a StatStamp, discovery's FileStat). */
export function stampKey(s: { size: number | bigint; mtime_ns: string | bigint; ctime_ns: string | bigint; ino: string | bigint; dev?: string | bigint }): string {
  return `${s.size}:${s.mtime_ns}:${s.ctime_ns}:${s.ino}:${s.dev ?? ''}`;
}

/** The part of a stamp that a rename keeps (rename moves ctime): a file written to a temp
 *  and renamed into place is recognised by the stamp its temp had. One version of a file
 *  we write ourselves (the build state) has one such key. */
export function renameStableKeyOf(st: BigIntStats): string {
  return `${st.size}:${st.mtimeNs}:${st.ino}:${st.dev}`;
}

/** max(mtime, ctime) in ms, as the double a plain stat of the same file would give. */
export function newestMsOf(st: BigIntStats): number {
  return msFromNs(st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs);
}

/** Node's msFromTimeSpec(sec, nsec) for nanoseconds (a bigint, or a stamp's decimal string). */
export function msFromNs(ns: string | bigint): number {
  const b = BigInt(ns);
  let sec = b / 1_000_000_000n;
  let nsec = b % 1_000_000_000n;
  if (nsec < 0n) {
    nsec += 1_000_000_000n;
    sec -= 1n;
  }
  return Number(sec) * 1000 + Number(nsec) / 1e6;
}
