// Direct-mode manifests: key1 → entries of {headers with hashes → result key}. This
// file holds the format; manifest-record.ts records an entry, manifest-check.ts checks
// one, manifest-memo.ts keeps them decoded.
//
// A hit must prove that preprocessing the source now would read exactly the same
// files with exactly the same contents as when the entry was recorded. Hashing the
// headers of the entry proves the second half. The first half needs more: a file
// that did not exist back then can capture an #include (sccache #2766, ccache's
// "appearing include directories"):
//   -Ib -Ia, foo.h found as a/foo.h; someone creates b/foo.h → the compiler now
//   reads b/foo.h, while every recorded header is unchanged.
//
// The scheme ("negative entries"):
//  1. From the `-E` run we know every file the preprocessor entered (line markers,
//     path spelled as include dir + "/" + include name) and the search list (-v,
//     plus the -I/-iquote/-isystem/-idirafter and CPATH-style directories of the
//     command line, existing or not, plus the ones -v reports as nonexistent).
//  2. Every way a recorded path P splits as D + "/" + name, for D a search
//     directory or the directory of any file of the TU (quoted includes look next
//     to the including file first; "" — the working directory — for -include),
//     gives an include name. So does every literal __has_include(<name>) in the
//     TU's files, since a probe enters nothing and leaves no line marker.
//  3. The candidates are every directory × every name (and name.gch, since gcc
//     prefers a precompiled header found next to the one named). This is a
//     superset of the paths gcc's lookup could have tried before settling on P,
//     whatever the include's spelling (quoted or angled, #include_next), so it
//     does not depend on reproducing gcc's search order.
//  4. A candidate that does not exist is recorded through its deepest existing
//     ancestor directory and that directory's stat (mtime, ctime, inode): creating
//     any entry in a directory changes its mtime and ctime, so "directory
//     unchanged" proves "candidate still absent" for every candidate below it with
//     one stat. A directory inside the working directory is recorded by the digest
//     of its listing (names and kinds) instead: the same proof, read through the
//     listing cache (one stat while the directory is unchanged), and it also holds
//     for another checkout's copy of the directory, whose inode and times differ —
//     without it, entries of one checkout could never hit in another without a
//     preprocessor run. Candidates directly in the working directory (touched by every
//     build and editor) and those under a directory changed too recently to trust
//     its timestamp are recorded one by one and stat'ed at lookup. A candidate
//     that exists but was not read (a later directory's same-named header, a probe
//     that found its file) is recorded with its stat and must be unchanged.
//  5. At lookup: every directory unchanged, every absent candidate absent, every
//     present candidate unchanged, every header's hash as recorded — else no hit.
//
// A __has_include whose argument is a macro names nothing we can check; such a
// TU gets no direct entry (preprocessor mode still serves it).
// Limitation: an #include skipped by include-guard optimisation under a different
// spelling of an already-included path is invisible to the line markers.

import { CorruptEntryError } from './blob.js';
import type { FileSnapshot } from './fs-snapshot.js';
import type { StatStamp } from '../fs/stat-stamp.js';

/** Hash of a file's content as someone who already knows it (the discovery daemon) says.
 *  Contract: `path` is absolute and normalized; the answer is the lowercase hex sha256
 *  of the whole content, or null when the file does not exist or cannot be read. It
 *  must reflect the file as it is now (pending watcher events applied): a hasher that
 *  lags behind an edit gives a stale hit. Files it does not watch it must hash itself. */
export interface HeaderHasher {
  hash(path: string): Promise<string | null>;
  /** The comment-blind hash (comment-blind.ts) under the same contract. A hasher
   *  without it gets manifest entries whose project headers carry plain hashes. */
  commentBlindHash?(path: string): Promise<string | null>;
}

export const MANIFEST_VERSION = 1;
export const DEFAULT_MAX_MANIFEST_ENTRIES = 50;

export interface HeaderRecord {
  /** As the preprocessor named it (relative to cwd, or absolute). */
  path: string;
  hash: string;
  size: number;
  mtime_ns: string;
  ctime_ns: string;
  ino: string;
  /** Inside the project (relative, or absolute under cwd): checked through the HeaderHasher.
   *  Else a system header: trusted when its stat is unchanged, hashed when not. */
  project: boolean;
  /** Project headers of comment-blind entries: the token hash (comment-blind.ts), which
   *  only tells whether an -E run after a direct miss may be worth it. */
  tok?: string;
}

export interface DirRecord {
  path: string;
  mtime_ns: string;
  ctime_ns: string;
  ino: string;
  /** For directories inside the working directory: the listing's digest
   *  (fs-snapshot.ts listingDigest), which is what is checked then, not the stat. */
  names?: string;
}

export interface PresentRecord {
  path: string;
  stamp: StatStamp;
}

export interface ManifestEntry {
  result: string;
  created_ms: number;
  /** The project headers' hashes are comment-blind ones (comment-blind.ts); system
   *  headers always carry plain content hashes. */
  blind?: boolean;
  /** Recorded in depend mode: `result` is not a preprocessor-mode key, so an -E run
   *  after this entry goes stale cannot find its result again. */
  depend?: boolean;
  headers: HeaderRecord[];
  dirs: DirRecord[];
  absent: string[];
  present: PresentRecord[];
}

export interface Manifest {
  version: number;
  entries: ManifestEntry[];
}

// ------------------------------------------------------------ encoding

const isStr = (v: unknown): v is string => typeof v === 'string';

function validEntry(e: unknown): e is ManifestEntry {
  if (typeof e !== 'object' || e === null) return false;
  const x = e as Record<string, unknown>;
  return (
    isStr(x.result) &&
    typeof x.created_ms === 'number' &&
    (x.blind === undefined || typeof x.blind === 'boolean') &&
    (x.depend === undefined || typeof x.depend === 'boolean') &&
    Array.isArray(x.headers) &&
    x.headers.every(
      (h: unknown) =>
        typeof h === 'object' && h !== null && isStr((h as HeaderRecord).path) && isStr((h as HeaderRecord).hash) &&
        typeof (h as HeaderRecord).project === 'boolean',
    ) &&
    Array.isArray(x.dirs) &&
    x.dirs.every(
      (d: unknown) =>
        typeof d === 'object' && d !== null && isStr((d as DirRecord).path) && ((d as DirRecord).names === undefined || isStr((d as DirRecord).names)),
    ) &&
    Array.isArray(x.absent) &&
    x.absent.every(isStr) &&
    Array.isArray(x.present) &&
    x.present.every((p: unknown) => typeof p === 'object' && p !== null && isStr((p as PresentRecord).path))
  );
}

export function encodeManifest(m: Manifest): Buffer {
  return Buffer.from(JSON.stringify(m), 'utf8');
}

/** Throws CorruptEntryError for anything but a manifest of this version. */
export function decodeManifest(data: Buffer): Manifest {
  let m: unknown;
  try {
    m = JSON.parse(data.toString('utf8'));
  } catch {
    throw new CorruptEntryError('manifest is not JSON');
  }
  const x = m as Partial<Manifest> | null;
  if (!x || x.version !== MANIFEST_VERSION || !Array.isArray(x.entries) || !x.entries.every(validEntry)) {
    throw new CorruptEntryError('manifest has an unexpected shape');
  }
  return x as Manifest;
}

/** Adds `entry` first (newest first); an entry for the same result with the same
 *  headers replaces the old one; the oldest beyond `max` are dropped. */
export function addEntry(m: Manifest | null, entry: ManifestEntry, max = DEFAULT_MAX_MANIFEST_ENTRIES): Manifest {
  const sig = (e: ManifestEntry) => `${e.result}\0${e.headers.map((h) => `${h.path}\0${h.hash}`).join('\0')}`;
  const s = sig(entry);
  const rest = (m?.entries ?? []).filter((e) => sig(e) !== s);
  return { version: MANIFEST_VERSION, entries: [entry, ...rest].slice(0, Math.max(1, max)) };
}

/** The hash a manifest records for a header: comment-blind for project headers of a
 *  comment-blind entry, the plain content hash otherwise. */
export function recordedHash(snap: FileSnapshot, blind: boolean): string {
  if (!blind) return snap.facts.hash;
  if (!snap.facts.blind) throw new Error('internal: a comment-blind entry needs lexed snapshots of project headers');
  return snap.facts.blind.blindHash;
}
