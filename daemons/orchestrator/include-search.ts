// New headers that shadow old ones. A depfile names the headers a compile read, so
// hashing them catches every edit, but not a file that did not exist then and would
// be found now in place of one of them (ccache's "appearing include directories",
// sccache #2766):
//   -Ib -Ia, #include "foo.h" found as a/foo.h; someone creates b/foo.h → the
//   compiler now reads b/foo.h, while every recorded header is unchanged.
//
// The scheme. When a TU is recorded, so is its include search *context*: the
// search chain (-iquote, -I, -isystem dirs in command-line order, then the
// compiler's own dirs from a `-v` probe, then -idirafter) and its "quote dirs"
// (the source's directory and the directory of every header outside the
// compiler's dirs: a quoted #include looks next to its includer first, and we do
// not know which includes were quoted, so every one is taken as possibly quoted).
// Contexts are content-addressed and shared by TUs (build-state.ts). For a header
// H of the TU found in chain dir D_k under name N (H = D_k + "/" + N; every such
// split, the latest k for a dir listed twice), the *candidates* are Q/N for every
// quote dir Q and D_j/N for every j < k: the paths that, had they existed, would
// have been found before H. The planner checks that none exists now.
//
// A candidate that existed when the TU compiled (and was not changed around the
// compile) was not on the lookup path for the include's real spelling, or the
// compiler would have read it: the split was ambiguous (-Iinc -Iinc/sub) or the
// include was angled. Such candidates are recorded per TU (shadow_skip, usually
// empty) and never count, or a TU would be "shadowed" by a file it could never see.
//
// Costs. Stored per TU: a context id (and its skip list: typically the two or three
// wrapper headers of the compiler's own dirs, like c++/12/stdlib.h before stdlib.h).
// Per plan (findShadowing): one map lookup per TU header; one split per distinct
// (chain, header), and a project has few chains; one listing per directory that
// exists along the include names below the distinct search and quote dirs, each
// listed once. Never TUs × candidates. Per compiled TU (ShadowRecorder): its
// candidates, from listings taken once per build, and a stat of those that exist.
// The compiler's dirs come from one `-v` probe per compiler and flags, kept in the
// build state so later processes do not run it again.
//
// Limitations: a __has_include probe of a header that did not exist leaves no trace
// in the depfile; a precompiled foo.h.gch appearing beside foo.h; -Wp,-I and other
// include options passed through to the preprocessor; a system header's quoted
// include of a new sibling in the compiler's own dirs (their headers' directories
// are not quote dirs). With the discovery daemon, a no-op build that takes the
// journal's fast path (nothing changed in watched files) plans nothing: it relies on
// the journal for candidates in watched dirs and, for every other candidate dir (an
// include dir outside the project or around it, a symlink, the compiler's own dirs),
// on a stat of the dir (journal-point.ts): a new entry there changes its mtime.

import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { dirOfLiteral, joinLiteral } from '../../cache/literal-paths.js';
import { compilerSearch, includeSearchArgs, type CompilerSearchStore } from '../../toolchain/compiler-search.js';
import { compilerOf, type BuildCompilers } from '../../toolchain/compile-args.js';
import { sourceLanguage } from '../../config/source-language.js';
import type { CompileJob } from '../../protocol/build.js';
import type { SearchContext } from './build-state.js';
import { searchIdOf } from './search-ids.js';
import { DirListings, type DirListing, type FileHasher } from './file-hasher.js';

/** `dir` + "/" + name when `path` lies below `dir` (literally, as the compiler joins them). */
function nameUnder(dir: string, path: string): string | null {
  if (dir === '') return null;
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return path.length > prefix.length && path.startsWith(prefix) ? path.slice(prefix.length) : null;
}

/** The paths that would have been found before `header` in `ctx`, had they existed. */
export function shadowCandidates(ctx: SearchContext, header: string): string[] {
  const names = new Map<string, number>();
  ctx.chain.forEach((d, k) => {
    const n = nameUnder(d, header);
    if (n !== null) names.set(n, k); // a dir listed twice: its later place counts (gcc drops duplicates)
  });
  const out = new Set<string>();
  for (const [n, k] of names) {
    for (const q of ctx.quote) out.add(joinLiteral(q, n));
    for (let j = 0; j < k; j++) out.add(joinLiteral(ctx.chain[j]!, n));
  }
  out.delete(header);
  return [...out];
}

interface ShadowGroup {
  readonly cands: readonly string[];
}

/** Candidates per (context, header), derived once and shared by every TU with that pair.
 *  Pure (names only, no file system), so one index serves every build of the process. */
class ShadowIndex {
  private readonly byContext = new Map<string, Map<string, ShadowGroup>>();
  private size = 0;

  group(contextId: string, ctx: SearchContext, header: string): ShadowGroup {
    let m = this.byContext.get(contextId);
    if (!m) this.byContext.set(contextId, (m = new Map()));
    let g = m.get(header);
    if (!g) {
      // A bound on memory for a daemon that sees many projects' worth of contexts.
      if (++this.size > 200_000) {
        this.byContext.clear();
        this.size = 1;
        this.byContext.set(contextId, (m = new Map()));
      }
      m.set(header, (g = { cands: shadowCandidates(ctx, header) }));
    }
    return g;
  }
}

const sharedIndex = new ShadowIndex();

/** shadowCandidates of a stored context, from the index every build of the process shares. */
export function storedShadowCandidates(contextId: string, ctx: SearchContext, header: string): readonly string[] {
  return sharedIndex.group(contextId, ctx, header).cands;
}

// ------------------------------------------------------------ recording
// (The compiler's own dirs come from the `-v` probe in compilation/compiler-search.ts,
// which the compile cache shares.)

export interface TuSearch {
  /** The TU's search context, for BuildState.setObject. */
  context: SearchContext;
  /** Candidates that existed (unchanged) around the compile: never shadows for this record. */
  skip: string[];
}

/** Records the include search of compiled TUs; one per build. */
export class ShadowRecorder {
  private readonly index = sharedIndex;
  /** What may exist, per group, from this build's listings. */
  private readonly maybeOf = new Map<ShadowGroup, readonly string[]>();
  /** Listings taken during this build: a quick "may exist" before a fresh stat. A file
   *  created after its directory was listed is taken as absent, so it is not skipped and
   *  can only make a later plan recompile: the safe side. */
  private readonly listings: DirListings;
  /** Whether a header lies under one of the compiler's own dirs, per set of those dirs
   *  (joined): every hit of a clean rebuild asks it of the same few hundred headers. */
  private readonly inSystemDirs = new Map<string, Map<string, boolean>>();

  constructor(
    private readonly opts: {
      root: string;
      /** Each TU's own compiler (C or C++) is probed, in its language. */
      compilers: BuildCompilers<{ id: string; path: string }>;
      store?: CompilerSearchStore;
    },
  ) {
    this.listings = new DirListings(opts.root);
  }

  /** The search context of `job` given the headers its compile read. */
  async contextOf(job: Pick<CompileJob, 'args' | 'source' | 'cwd'>, headers: readonly string[]): Promise<SearchContext> {
    const a = includeSearchArgs(job.args, job.source);
    const sys = await compilerSearch(compilerOf(this.opts.compilers, job.source), a.probeArgs, job.cwd, {
      language: sourceLanguage(job.source),
      ...(this.opts.store ? { store: this.opts.store } : {}),
    });
    const given = new Set([...a.iquote, ...a.bracket, ...a.isystem, ...a.idirafter]);
    // Where -v does not print a nonexistent dir, put it first among the compiler's own:
    // a candidate in it is then checked for more headers than strictly needed.
    const own = [...sys.missing, ...sys.dirs].filter((d) => !given.has(d));
    const chain = [...a.iquote, ...a.bracket, ...a.isystem, ...own, ...a.idirafter];
    const systemDirs = [...sys.dirs, ...sys.missing];
    const dirsKey = systemDirs.join('\0');
    let inSystem = this.inSystemDirs.get(dirsKey);
    if (!inSystem) this.inSystemDirs.set(dirsKey, (inSystem = new Map()));
    const quote = new Set<string>([dirOfLiteral(job.source)]);
    if (a.forcedIncludes) quote.add('');
    for (const h of headers) {
      let system = inSystem.get(h);
      if (system === undefined) inSystem.set(h, (system = systemDirs.some((d) => nameUnder(d, h) !== null)));
      if (!system) quote.add(dirOfLiteral(h));
    }
    return { quote: [...quote].sort(), chain };
  }

  /** Called after a successful compile that started at `sinceMs` (Date.now()). */
  async describe(job: Pick<CompileJob, 'args' | 'source' | 'cwd'>, headers: readonly string[], sinceMs: number): Promise<TuSearch> {
    const ctx = await this.contextOf(job, headers);
    const search = searchIdOf(ctx);
    const maybe = new Set<string>();
    for (const h of headers) {
      const g = this.index.group(search, ctx, h);
      let m = this.maybeOf.get(g);
      if (!m) this.maybeOf.set(g, (m = this.listings.maybeExistingSync(g.cands)));
      for (const c of m) maybe.add(c);
    }
    const skip: string[] = [];
    for (const c of maybe) {
      const st = statSync(isAbsolute(c) ? c : resolve(this.opts.root, c), { throwIfNoEntry: false });
      // Gone: a candidate like any other. Changed (or created) since the compile started: it may
      // not have been there when the compiler looked; not skipped, so the next plan recompiles once more.
      if (!st || st.isDirectory() || Math.max(st.mtimeMs, st.ctimeMs) >= sinceMs + 1) continue;
      skip.push(c);
    }
    return { context: ctx, skip: skip.sort() };
  }
}

// ------------------------------------------------------------ planning

export interface ShadowCheckTu {
  /** Its search context and the id it is stored under (same id, same context). */
  search: SearchContext;
  searchId: string;
  headers: readonly { path: string }[];
  skip: readonly string[] | undefined;
}

/** How one header splits over one chain: its include names, and for each the place (k)
 *  of the last chain dir it lies under. */
interface Split {
  header: string;
  names: string[];
  ks: number[];
  /** Existing chain candidates (D_j/N, j < k), filled in once existence is known. */
  chainHits?: string[];
}

function splitOver(chain: readonly string[], header: string): Split {
  const byName = new Map<string, number>();
  chain.forEach((d, k) => {
    const n = nameUnder(d, header);
    if (n !== null) byName.set(n, k);
  });
  return { header, names: [...byName.keys()], ks: [...byName.values()] };
}

/** Include names as a tree of path components, so a directory is listed once for all names below it. */
interface NameNode {
  children: Map<string, NameNode>;
  terminal: boolean;
}

function addName(root: NameNode, name: string): void {
  let node = root;
  for (const c of name.split('/')) {
    let next = node.children.get(c);
    if (!next) node.children.set(c, (next = { children: new Map(), terminal: false }));
    node = next;
  }
  node.terminal = true;
}

/** root dir → include name → path, for every (dir, name) whose path exists now as a file. */
type Existing = Map<string, Map<string, string>>;

/** Finds which of `names` exist below each of `roots`, walking the directories through
 *  listings (each listed once): the work is the directories actually present along
 *  the names, not roots × names. */
async function existingByListing(hasher: FileHasher & Required<Pick<FileHasher, 'listDir'>>, roots: Iterable<string>, names: NameNode): Promise<Existing> {
  const listings = new Map<string, Promise<DirListing>>();
  const list = (dir: string) => {
    let l = listings.get(dir);
    if (!l) listings.set(dir, (l = hasher.listDir(dir)));
    return l;
  };
  const isFile = async (path: string) => (await existingFiles(hasher, [path])).has(path);
  const out: Existing = new Map();
  const found = (root: string, name: string, path: string) => {
    let m = out.get(root);
    if (!m) out.set(root, (m = new Map()));
    m.set(name, path);
  };
  const walk = async (root: string, dir: string, node: NameNode, prefix: string): Promise<void> => {
    const l = await list(dir === '' ? '.' : dir);
    if (l === null) return; // no such directory: nothing below it
    const work: Promise<void>[] = [];
    for (const [c, child] of node.children) {
      const name = prefix === '' ? c : `${prefix}/${c}`;
      const path = joinLiteral(dir, c);
      // "." and ".." never show in a listing, and an unreadable directory shows nothing: look.
      const kind = c === '.' || c === '..' || c === '' || l === 'unlisted' ? 'maybe' : l.get(c);
      if (kind === undefined) continue;
      if (child.terminal && kind !== 'dir') {
        work.push(
          (async () => {
            if (kind === 'file' || (await isFile(path))) found(root, name, path);
          })(),
        );
      }
      if (child.children.size > 0 && kind !== 'file') work.push(walk(root, path, child, name));
    }
    await Promise.all(work);
  };
  await Promise.all([...roots].map((r) => walk(r, r, names, '')));
  return out;
}

/** The same answer by asking about every root × name (for hashers that cannot list). */
async function existingByPath(hasher: FileHasher, roots: Iterable<string>, names: Iterable<string>): Promise<Existing> {
  const pairs: [string, string, string][] = [];
  const nameList = [...names];
  for (const r of roots) for (const n of nameList) pairs.push([r, n, joinLiteral(r, n)]);
  const present = await existingFiles(hasher, pairs.map((p) => p[2]));
  const out: Existing = new Map();
  for (const [r, n, path] of pairs) {
    if (!present.has(path)) continue;
    let m = out.get(r);
    if (!m) out.set(r, (m = new Map()));
    m.set(n, path);
  }
  return out;
}

/**
 * For each TU, the first path that exists now and would be found before one of its
 * headers (see the top of this file), or null. Per plan: one map lookup per TU header;
 * one split per distinct (chain, header); one listing per directory present along the
 * include names below the distinct search and quote dirs.
 */
export async function findShadowing(tus: readonly ShadowCheckTu[], hasher: FileHasher): Promise<(string | null)[]> {
  // Contexts and chains: TUs of one project share a few.
  const chains = new Map<string, { chain: readonly string[]; splits: Map<string, Split> }>();
  const contexts = new Map<string, { quote: readonly string[]; chain: { chain: readonly string[]; splits: Map<string, Split> } }>();
  const ctxOf = (tu: ShadowCheckTu) => {
    let c = contexts.get(tu.searchId);
    if (!c) {
      const key = tu.search.chain.join('\n');
      let ch = chains.get(key);
      if (!ch) chains.set(key, (ch = { chain: tu.search.chain, splits: new Map() }));
      contexts.set(tu.searchId, (c = { quote: tu.search.quote, chain: ch }));
    }
    return c;
  };
  for (const tu of tus) {
    const { chain } = ctxOf(tu);
    for (const h of tu.headers) {
      if (!chain.splits.has(h.path)) chain.splits.set(h.path, splitOver(chain.chain, h.path));
    }
  }

  // Every include name, and every dir a candidate can lie in.
  const names = new Set<string>();
  const roots = new Set<string>();
  for (const { chain, splits } of chains.values()) {
    for (const s of splits.values()) for (const n of s.names) names.add(n);
    for (const d of chain) roots.add(d);
  }
  for (const c of contexts.values()) for (const q of c.quote) roots.add(q);
  if (names.size === 0) return tus.map(() => null);
  let existing: Existing;
  if (hasher.listDir) {
    const tree: NameNode = { children: new Map(), terminal: false };
    for (const n of names) addName(tree, n);
    existing = await existingByListing(hasher as FileHasher & Required<Pick<FileHasher, 'listDir'>>, roots, tree);
  } else {
    existing = await existingByPath(hasher, roots, names);
  }
  if (existing.size === 0) return tus.map(() => null);

  // Chain candidates per (chain, header): D_j/N for j < k.
  for (const { chain, splits } of chains.values()) {
    for (const s of splits.values()) {
      const hits: string[] = [];
      s.names.forEach((n, i) => {
        for (let j = 0; j < s.ks[i]!; j++) {
          const p = existing.get(chain[j]!)?.get(n);
          if (p !== undefined && p !== s.header) hits.push(p);
        }
      });
      s.chainHits = hits;
    }
  }
  // Quote candidates per context: Q/N for every quote dir Q.
  const quoteMaps = new Map<string, Map<string, string>[]>();
  for (const [id, c] of contexts) {
    quoteMaps.set(id, c.quote.map((q) => existing.get(q)).filter((m): m is Map<string, string> => m !== undefined));
  }
  return tus.map((tu) => {
    const qm = quoteMaps.get(tu.searchId)!;
    const splits = contexts.get(tu.searchId)!.chain.splits;
    const skip = tu.skip ?? [];
    for (const h of tu.headers) {
      const s = splits.get(h.path)!;
      for (const p of s.chainHits!) if (!skip.includes(p)) return p;
      if (qm.length === 0) continue;
      for (const n of s.names) {
        for (const m of qm) {
          const p = m.get(n);
          if (p !== undefined && p !== s.header && !skip.includes(p)) return p;
        }
      }
    }
    return null;
  });
}

/** Which of `paths` exist now as files (not directories). */
export async function existingFiles(hasher: FileHasher, paths: readonly string[]): Promise<Set<string>> {
  if (paths.length === 0) return new Set();
  if (hasher.existing) return hasher.existing(paths);
  const hashes = await Promise.all(paths.map((p) => hasher.hash(p)));
  return new Set(paths.filter((_, i) => hashes[i] !== null));
}
