// Direct-mode manifests: key1 → entries of {headers with hashes → result key}.
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

import { isAbsolute, posix } from 'node:path';
import { CorruptEntryError } from './store.js';
import {
  DirListingCache,
  listingDigest,
  isRacy,
  quickMatches,
  quickMatchesDir,
  quickStat,
  sameStamp,
  statStampSync,
  type QuickStat,
  type FileInfoCache,
  type FileSnapshot,
  type StatStamp,
} from './fs-snapshot.js';

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

// ------------------------------------------------------------ paths

/** Absolute form without normalizing: "a/../b" must reach the kernel as written,
 *  as it does from the compiler (a symlinked "a" makes ".." go elsewhere). */
export function absLiteral(cwd: string, p: string): string {
  if (isAbsolute(p)) return p;
  if (p === '' || p === '.') return cwd;
  return cwd.endsWith('/') ? cwd + p : `${cwd}/${p}`;
}

/** Directory part as the compiler takes it for quoted includes: up to the last "/". */
export function dirOfLiteral(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '';
  if (i === 0) return '/';
  return p.slice(0, i);
}

export function joinLiteral(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

function isUnder(cwd: string, abs: string): boolean {
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return abs.startsWith(base);
}

/** The path to ask the HeaderHasher about: absolute and normalized, as a file watcher
 *  names files. Null for a path through "..": "inc/../x.h" with a symlinked inc is not
 *  the file the lexical form names, so such headers are hashed from disk instead. */
export function hasherPath(cwd: string, p: string): string | null {
  if (p === '..' || p.startsWith('../') || p.includes('/../') || p.endsWith('/..')) return null;
  return posix.normalize(absLiteral(cwd, p));
}

/** Project files are checked through the HeaderHasher; the others (system headers) by stat. */
export function isProjectPath(cwd: string, p: string): boolean {
  return !isAbsolute(p) || isUnder(cwd, p);
}

/** How a path is stored: relative to cwd when inside it, so another checkout hits. */
function storedForm(cwd: string, abs: string): string {
  if (abs === cwd) return '.';
  return isUnder(cwd, abs) ? abs.slice(cwd.endsWith('/') ? cwd.length : cwd.length + 1) : abs;
}

/** Every include name under which `p` may have been found from one of `dirs`. */
export function includeNames(p: string, dirs: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const d of dirs) {
    if (d === '') {
      if (!isAbsolute(p)) names.add(p);
      continue;
    }
    const prefix = d.endsWith('/') ? d : `${d}/`;
    if (p.startsWith(prefix) && p.length > prefix.length) names.add(p.slice(prefix.length));
  }
  return [...names];
}

// ------------------------------------------------------------ recording

export interface RecordInput {
  cwd: string;
  result: string;
  /** The main file as the line markers name it. */
  mainFile: string;
  /** Files the preprocessor entered, the main file excluded, with their snapshots
   *  (taken after the compile). */
  headers: { path: string; snap: FileSnapshot }[];
  /** __has_include names from the source and headers, per file directory. */
  probes: { fromDir: string; name: string }[];
  /** Search directories: command line, environment, -v list and -v's nonexistent ones. */
  searchDirs: string[];
  forcedIncludes: boolean;
  dirCache: DirListingCache;
  /** Wall-clock ms when the `-E` run (or, without one, the compile) started. A
   *  directory or file changed after (this - racySlackMs) may have changed after the
   *  preprocessor looked. */
  referenceMs: number;
  racySlackMs: number;
  /** Record project headers by their comment-blind hash (their snapshots must have
   *  been taken with the comment-blind facts). */
  blind?: boolean;
}

export interface Recorded {
  entry: ManifestEntry;
  /** Set when the compile cannot be vouched for: a file that would capture an
   *  include appeared after -E looked, or a precompiled header could be used. */
  problem: { reason: 'changed during compile' | 'precompiled header'; detail: string } | null;
}

/** Include names as a tree of path components, so a directory is looked at once
 *  for all names below it. */
interface NameNode {
  children: Map<string, NameNode>;
  /** A name ends here. */
  terminal: boolean;
}

function nameTree(names: Iterable<string>): NameNode {
  const root: NameNode = { children: new Map(), terminal: false };
  for (const n of names) {
    let node = root;
    for (const c of n.split('/')) {
      let next = node.children.get(c);
      if (!next) node.children.set(c, (next = { children: new Map(), terminal: false }));
      node = next;
    }
    node.terminal = true;
  }
  return root;
}

function hasNames(node: NameNode): boolean {
  if (node.terminal) return true;
  for (const child of node.children.values()) if (hasNames(child)) return true;
  return false;
}

function namesBelow(node: NameNode, prefix: string, out: string[]): string[] {
  if (node.terminal) out.push(prefix);
  for (const [c, child] of node.children) namesBelow(child, joinLiteral(prefix, c), out);
  return out;
}

/** Normalizes only when the literal path has something to normalize (cheap for the many that do not). */
function normalized(abs: string): string {
  return abs.includes('/.') || abs.includes('//') ? posix.resolve(abs) : abs;
}

/** Builds a manifest entry for a compile whose headers are known stable. */
export async function recordEntry(inp: RecordInput): Promise<Recorded> {
  const { cwd } = inp;
  const used = new Set(inp.headers.map((h) => normalized(absLiteral(cwd, h.path))));
  used.add(normalized(absLiteral(cwd, inp.mainFile)));

  const dirs = new Set<string>();
  for (const d of inp.searchDirs) dirs.add(d);
  dirs.add(dirOfLiteral(inp.mainFile));
  for (const h of inp.headers) dirs.add(dirOfLiteral(h.path));
  if (inp.forcedIncludes) dirs.add('');

  const names = new Set<string>();
  for (const h of inp.headers) for (const n of includeNames(h.path, dirs)) names.add(n);
  for (const p of inp.probes) names.add(p.name);
  for (const n of [...names]) names.add(`${n}.gch`);
  const tree = nameTree(names);

  const dirRecords = new Map<string, DirRecord>();
  const absent = new Set<string>();
  const present = new Map<string, PresentRecord>();
  /** Candidates a listing cannot settle (symlinks, "." and ".." components) or that exist. */
  const statLater = new Set<string>();

  const list = (() => {
    const memo = new Map<string, ReturnType<DirListingCache['list']>>();
    return (d: string) => {
      let r = memo.get(d);
      if (!r) memo.set(d, (r = inp.dirCache.list(d)));
      return r;
    };
  })();
  const untrusted = (abs: string, stamp: StatStamp) => abs === cwd || isRacy(stamp, inp.referenceMs, inp.racySlackMs);

  /** Every candidate below `node` (names relative to `dir`) is absent as long as `dir` is unchanged. */
  const absentBelow = async (dir: string, node: NameNode, prefix: string) => {
    // No name was looked up below `dir`: nothing there can change what the TU reads, so
    // the entry must not depend on it (another checkout's copy would miss for nothing).
    if (!hasNames(node)) return;
    const l = await list(dir);
    if (l && !untrusted(dir, l.stamp)) {
      if (!dirRecords.has(dir)) {
        const rec: DirRecord = { path: storedForm(cwd, dir), mtime_ns: l.stamp.mtime_ns, ctime_ns: l.stamp.ctime_ns, ino: l.stamp.ino };
        if (isUnder(cwd, dir)) rec.names = listingDigest(l);
        dirRecords.set(dir, rec);
      }
      return;
    }
    for (const n of namesBelow(node, prefix, [])) absent.add(storedForm(cwd, joinLiteral(dir, n)));
  };

  /** Walks the name tree down from an existing directory through its listings. */
  const walk = async (dir: string, node: NameNode): Promise<void> => {
    const l = await list(dir);
    if (!l) {
      for (const n of namesBelow(node, '', [])) if (n !== '') statLater.add(joinLiteral(dir, n));
      return;
    }
    const subdirs: Promise<void>[] = [];
    for (const [c, child] of node.children) {
      const path = joinLiteral(dir, c);
      if (c === '' || c === '.' || c === '..') {
        for (const n of namesBelow(child, c, [])) statLater.add(joinLiteral(dir, n));
        continue;
      }
      const kind = l.names.get(c);
      if (kind === undefined) {
        subdirs.push(absentBelow(dir, child, c));
        continue;
      }
      if (child.terminal) statLater.add(path);
      if (child.children.size === 0) continue;
      if (kind === 'file' || kind === 'other') {
        // Nothing can be below a file; turning it into a directory changes `dir`.
        const below = { children: child.children, terminal: false };
        subdirs.push(absentBelow(dir, below, c));
      } else {
        subdirs.push(walk(path, { children: child.children, terminal: false }));
      }
    }
    await Promise.all(subdirs);
  };

  /** A search directory that does not exist: the candidates below it are absent as
   *  long as its nearest existing ancestor does not change. */
  const fromBase = async (base: string, node: NameNode) => {
    if (!hasNames(node)) return;
    if (await list(base)) return walk(base, node);
    let child = base;
    let up = dirOfLiteral(child);
    while (up !== child) {
      const ul = await list(up);
      if (ul) {
        const childName = child.slice(up === '/' ? 1 : up.length + 1);
        const rel = base.slice(up === '/' ? 1 : up.length + 1);
        const kind = ul.names.get(childName);
        // A directory here means it appeared after we looked: settle it by stat instead.
        if (childName === '.' || childName === '..' || kind === 'symlink' || kind === 'dir') break;
        return absentBelow(up, node, rel);
      }
      child = up;
      up = dirOfLiteral(up);
    }
    for (const n of namesBelow(node, '', [])) if (n !== '') statLater.add(joinLiteral(base, n));
  };

  const work: Promise<void>[] = [];
  for (const d of dirs) work.push(fromBase(absLiteral(cwd, d), tree));
  for (const p of inp.probes) work.push(fromBase(absLiteral(cwd, p.fromDir), nameTree([p.name])));
  await Promise.all(work);

  // Existing candidates the compiler did not read must stay exactly as they are; a
  // candidate that turns out absent (a dangling symlink, say) is checked on its own.
  const toStat = [...statLater].filter((abs) => !used.has(normalized(abs)));
  // Synchronous: a few dozen local stats cost less than as many thread-pool round trips.
  const stamps = toStat.map((abs) => statStampSync(abs));
  let problem: Recorded['problem'] = null;
  toStat.forEach((abs, i) => {
    const st = stamps[i];
    if (!st) {
      absent.add(storedForm(cwd, abs));
      return;
    }
    present.set(abs, { path: storedForm(cwd, abs), stamp: st });
    if (abs.endsWith('.gch')) problem ??= { reason: 'precompiled header', detail: `${abs} may be used in place of its header` };
    else if (isRacy(st, inp.referenceMs, inp.racySlackMs)) {
      problem ??= { reason: 'changed during compile', detail: `${abs} appeared or changed while compiling` };
    }
  });

  const blind = inp.blind === true;
  const entry: ManifestEntry = {
    result: inp.result,
    created_ms: Date.now(),
    ...(blind ? { blind } : {}),
    headers: inp.headers.map((h) => {
      const project = isProjectPath(cwd, h.path);
      const rec: HeaderRecord = {
        path: h.path,
        hash: recordedHash(h.snap, project && blind),
        size: h.snap.stamp.size,
        mtime_ns: h.snap.stamp.mtime_ns,
        ctime_ns: h.snap.stamp.ctime_ns,
        ino: h.snap.stamp.ino,
        project,
      };
      if (project && blind && h.snap.facts.blind) rec.tok = h.snap.facts.blind.tokenHash;
      return rec;
    }),
    dirs: [...dirRecords.values()].sort((a, b) => a.path.localeCompare(b.path)),
    absent: [...absent].sort(),
    present: [...present.values()].sort((a, b) => a.path.localeCompare(b.path)),
  };
  return { entry, problem };
}

/** The hash a manifest records for a header: comment-blind for project headers of a
 *  comment-blind entry, the plain content hash otherwise. */
export function recordedHash(snap: FileSnapshot, blind: boolean): string {
  if (!blind) return snap.facts.hash;
  if (!snap.facts.blind) throw new Error('internal: a comment-blind entry needs lexed snapshots of project headers');
  return snap.facts.blind.blindHash;
}

// ------------------------------------------------------------ checking

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
  private readonly stats = new Map<string, QuickStat | null>();
  private readonly projectHashes = new Map<string, Promise<string | null>>();
  private readonly custom: boolean;

  constructor(
    private readonly cwd: string,
    private readonly hasher: HeaderHasher,
    private readonly files: FileInfoCache,
    private readonly dirs: DirListingCache = new DirListingCache(),
  ) {
    this.custom = (hasher as unknown) !== files;
  }

  private dirOk(d: DirRecord): boolean {
    if (d.names !== undefined) {
      const l = this.dirs.listSync(absLiteral(this.cwd, d.path));
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

  /** Null when the entry holds, else the first reason found that it does not. */
  async check(e: ManifestEntry): Promise<string | null> {
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
