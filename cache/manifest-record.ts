// Recording a direct-mode entry (manifest.ts, steps 1-4 of the scheme): every file the
// TU read with its hash, and every place a file could appear and capture an include,
// as directory stamps, listing digests, absent and present candidates.

import { isRacy } from '../fs/racy.js';
import { listingDigest, type DirListingCache, type FileSnapshot } from './fs-snapshot.js';
import { statStampSync, type StatStamp } from '../fs/stat-stamp.js';
import { absLiteral, dirOfLiteral, includeNames, isProjectPath, isUnder, joinLiteral, normalized, storedForm } from './literal-paths.js';
import { recordedHash, type DirRecord, type HeaderRecord, type ManifestEntry, type PresentRecord } from './manifest.js';
import { byCodeUnit } from '../config/glob.js';

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

/** Whether a name ends at or below `node`. nameTree makes nodes only along a name's
 *  path, ending in a terminal one, so any child has a name below it: no walk needed. */
function hasNames(node: NameNode): boolean {
  return node.terminal || node.children.size > 0;
}

function namesBelow(node: NameNode, prefix: string, out: string[]): string[] {
  if (node.terminal) out.push(prefix);
  for (const [c, child] of node.children) namesBelow(child, joinLiteral(prefix, c), out);
  return out;
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

  // Synchronous, like the rest of the walk: the listings are local readdirs, mostly
  // remembered, and one promise per directory and name-tree node made this walk most
  // of what a cold miss allocated in the compilation daemon (~3 MB per heavy TU).
  const list = (() => {
    const memo = new Map<string, ReturnType<DirListingCache['listSync']>>();
    return (d: string) => {
      let r = memo.get(d);
      if (r === undefined) memo.set(d, (r = inp.dirCache.listSync(d)));
      return r;
    };
  })();
  const untrusted = (abs: string, stamp: StatStamp) => abs === cwd || isRacy(stamp, inp.referenceMs, inp.racySlackMs);

  /** Every candidate below `node` (names relative to `dir`) is absent as long as `dir` is unchanged. */
  const absentBelow = (dir: string, node: NameNode, prefix: string): void => {
    // No name was looked up below `dir`: nothing there can change what the TU reads, so
    // the entry must not depend on it (another checkout's copy would miss for nothing).
    if (!hasNames(node)) return;
    // Recorded already, so its listing was trusted: it covers every name below it too.
    if (dirRecords.has(dir)) return;
    const l = list(dir);
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
  const walk = (dir: string, node: NameNode): void => {
    const l = list(dir);
    if (!l) {
      for (const n of namesBelow(node, '', [])) if (n !== '') statLater.add(joinLiteral(dir, n));
      return;
    }
    // forEach, not for-of: no [name, node] pair allocated per child, and most children
    // are absent here (a system header's name looked up in every search directory).
    node.children.forEach((child, c) => {
      if (c === '' || c === '.' || c === '..') {
        for (const n of namesBelow(child, c, [])) statLater.add(joinLiteral(dir, n));
        return;
      }
      const kind = l.names.get(c);
      if (kind === undefined) return absentBelow(dir, child, c);
      const path = joinLiteral(dir, c);
      if (child.terminal) statLater.add(path);
      if (child.children.size === 0) return;
      if (kind === 'file' || kind === 'other') {
        // Nothing can be below a file; turning it into a directory changes `dir`.
        const below = { children: child.children, terminal: false };
        absentBelow(dir, below, c);
      } else {
        walk(path, { children: child.children, terminal: false });
      }
    });
  };

  /** A search directory that does not exist: the candidates below it are absent as
   *  long as its nearest existing ancestor does not change. */
  const fromBase = (base: string, node: NameNode): void => {
    if (!hasNames(node)) return;
    if (list(base)) return walk(base, node);
    let child = base;
    let up = dirOfLiteral(child);
    while (up !== child) {
      const ul = list(up);
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

  for (const d of dirs) fromBase(absLiteral(cwd, d), tree);
  for (const p of inp.probes) fromBase(absLiteral(cwd, p.fromDir), nameTree([p.name]));

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
    dirs: [...dirRecords.values()].sort((a, b) => byCodeUnit(a.path, b.path)),
    absent: [...absent].sort(),
    present: [...present.values()].sort((a, b) => byCodeUnit(a.path, b.path)),
  };
  return { entry, problem };
}
