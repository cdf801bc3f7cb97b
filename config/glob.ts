// Globs for `sources` and `ignored_patterns`, matched by minimatch (the matcher
// npm's own glob uses); what is ours is the syntax check, which names what is wrong
// with a pattern instead of taking it literally, and the tree walk (GlobWalker),
// which skips build dirs and dot-directories and reads each directory once.
//
// Syntax: `*` any run of characters but `/` (a leading dot included, so `*.swp`
// catches vim's `.main.cpp.swp`), `?` one such character, `[abc]`, `[a-z]`,
// `[!abc]` / `[^abc]` one character of (not of) a set, `{a,b}` alternatives
// (nestable, may contain `/`), `**` as a whole segment any number of directories,
// `\` escapes the next character.

import { opendirSync, statSync, type Dir, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { braceExpand, GLOBSTAR, Minimatch, type MinimatchOptions } from 'minimatch';

export class GlobSyntaxError extends Error {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(`bad glob "${pattern}": ${reason}`);
    this.name = 'GlobSyntaxError';
  }
}

/** Braces multiply; past this many alternatives the pattern is surely a mistake. */
const MAX_ALTERNATIVES = 1024;

/** No negation or comments: a source pattern is a path, `!` and `#` are characters. */
const OPTIONS: MinimatchOptions = { dot: true, nonegate: true, nocomment: true, braceExpandMax: MAX_ALTERNATIVES + 1 };

/** Does `s` use any glob syntax, or is it a plain path? */
export function isGlobPattern(s: string): boolean {
  return /[*?[\]{}]/.test(s);
}

/** `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`. */
export function expandBraces(pattern: string): string[] {
  checkSyntax(pattern);
  return braceExpand(pattern, OPTIONS);
}

/**
 * Throws what is wrong with `pattern`, where a matcher would quietly take an unclosed
 * `{` or `[` literally or a backwards range as matching nothing: in a config, each of
 * these is a typo that would otherwise surface as "matches no files".
 */
function checkSyntax(pattern: string): void {
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') i = closeOfSet(pattern, i);
    else if (c === '{') depth++;
    else if (c === '}' && depth === 0) throw new GlobSyntaxError(pattern, "'}' has no matching '{'");
    else if (c === '}') depth--;
  }
  if (depth > 0) throw new GlobSyntaxError(pattern, "'{' is never closed");
  if (pattern.includes('{') && braceExpand(pattern, OPTIONS).length > MAX_ALTERNATIVES) {
    throw new GlobSyntaxError(pattern, `braces expand to more than ${MAX_ALTERNATIVES} patterns`);
  }
}

/** Index of the `]` closing the set opened at `open`, after checking its ranges.
 *  A `]` right after `[` or `[!` is a member. */
function closeOfSet(pattern: string, open: number): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') {
      const body = pattern.slice(open + 1, i).replace(/^[!^]/, '');
      try {
        new RegExp(`[${body.replace(/^\]/, '\\]').replace(/\//g, '')}]`);
      } catch {
        throw new GlobSyntaxError(pattern, `bad character set [${body}] (is a range written backwards?)`);
      }
      return i;
    }
  }
  throw new GlobSyntaxError(pattern, "'[' is never closed (write \\[ for a literal bracket)");
}

function parse(pattern: string): Minimatch {
  checkSyntax(pattern);
  return new Minimatch(pattern, OPTIONS);
}

/** A regex matching whole relative paths (forward slashes) against `pattern`. */
export function compileGlob(pattern: string): RegExp {
  const re = parse(pattern).makeRe();
  if (!re) throw new GlobSyntaxError(pattern, 'it cannot match anything');
  return re;
}

// The watcher asks for every event; compile each pattern once.
const compiled = new Map<string, RegExp>();

function cachedGlob(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    if (compiled.size >= 512) compiled.clear();
    re = compileGlob(pattern);
    compiled.set(pattern, re);
  }
  return re;
}

/**
 * Does `relPath` (relative to the project root) match `pattern`? As in .gitignore, a
 * pattern without a slash matches the basename at any depth (`*.tmp`), one with a
 * slash matches the whole path from the root (`gen/*.h`, `/TODO`), and a trailing
 * slash is ignored (there is no file type to check it against). Throws GlobSyntaxError.
 */
export function matchGlob(pattern: string, relPath: string): boolean {
  let pat = pattern;
  if (pat.length > 1 && pat.endsWith('/')) pat = pat.slice(0, -1);
  const anchored = pat.includes('/');
  if (pat.startsWith('/')) pat = pat.slice(1);
  const path = relPath.replace(/\\/g, '/').replace(/^(?:\.\/|\/)+/, '');
  const target = anchored ? path : path.slice(path.lastIndexOf('/') + 1);
  return cachedGlob(pat).test(target);
}

/** Strips `./` and repeated slashes; refuses what would leave the project root. */
function normalizePattern(pattern: string): string {
  if (pattern.startsWith('/') || /^[A-Za-z]:[\\/]/.test(pattern)) {
    throw new GlobSyntaxError(pattern, 'source globs are relative to the project root, not absolute');
  }
  const segs = pattern.split('/').filter((s) => s !== '' && s !== '.');
  if (segs.includes('..')) {
    throw new GlobSyntaxError(pattern, "'..' would leave the project root; sources must be inside the project");
  }
  if (segs.length === 0) throw new GlobSyntaxError(pattern, 'the pattern is empty');
  return segs.join('/');
}

export interface GlobOptions {
  /** Build output directory relative to the root; never searched (objects and generated copies live there). */
  buildDir?: string;
  /** More directories relative to the root that are never searched (other profiles' build dirs). */
  skipDirs?: readonly string[];
}

interface Entry {
  name: string;
  isDir: boolean;
  isFile: boolean;
  isSymlink: boolean;
}

type Segment = { kind: 'globstar' } | { kind: 'name'; name: string } | { kind: 'regex'; re: RegExp };

/**
 * Expands globs against the tree under `root`. One walker reads each directory at
 * most once, so a config with many targets and patterns stays one pass over the tree.
 * Skips the build dir, `node_modules` and every dot-directory (`.git`, `.replibuild`).
 */
export class GlobWalker {
  private readonly dirs = new Map<string, Entry[]>();
  private readonly skipped: ReadonlySet<string>;

  constructor(
    readonly root: string,
    options: GlobOptions = {},
  ) {
    const dirs = [options.buildDir ?? '', ...(options.skipDirs ?? [])];
    const norm = (d: string) => d.replace(/\\/g, '/').split('/').filter((s) => s && s !== '.').join('/');
    this.skipped = new Set(dirs.map(norm).filter((d) => d !== ''));
  }

  /** Files matching `pattern`: relative, forward slashes, sorted, unique. Throws GlobSyntaxError. */
  expand(pattern: string): string[] {
    const found = new Set<string>();
    // One list of segments per alternative of the braces.
    for (const parts of parse(normalizePattern(pattern)).set) this.walk('', segmentsOf(parts, pattern), 0, found, new Set());
    return [...found].sort(byCodeUnit);
  }

  /** True for directories the walk never enters. */
  isSkippedDir(relPath: string, name: string): boolean {
    return name.startsWith('.') || name === 'node_modules' || this.skipped.has(relPath);
  }

  private walk(relDir: string, segs: Segment[], i: number, out: Set<string>, seen: Set<string>): void {
    const key = `${i}\u0000${relDir}`;
    if (seen.has(key)) return;
    seen.add(key);
    const seg = segs[i]!;
    const last = i === segs.length - 1;
    if (seg.kind === 'globstar') {
      if (last) return this.collectAll(relDir, out);
      this.walk(relDir, segs, i + 1, out, seen);
      // `**` does not follow directory symlinks (as bash and fs.glob): a link to `..` would never end.
      for (const e of this.list(relDir)) {
        if (e.isDir && !e.isSymlink && !this.isSkippedDir(joinRel(relDir, e.name), e.name)) {
          this.walk(joinRel(relDir, e.name), segs, i, out, seen);
        }
      }
      return;
    }
    for (const e of this.list(relDir)) {
      if (seg.kind === 'name' ? e.name !== seg.name : !seg.re.test(e.name)) continue;
      const rel = joinRel(relDir, e.name);
      if (last) {
        if (e.isFile) out.add(rel);
      } else if (e.isDir && !this.isSkippedDir(rel, e.name)) {
        this.walk(rel, segs, i + 1, out, seen);
      }
    }
  }

  private collectAll(relDir: string, out: Set<string>): void {
    for (const e of this.list(relDir)) {
      const rel = joinRel(relDir, e.name);
      if (e.isFile) out.add(rel);
      else if (e.isDir && !e.isSymlink && !this.isSkippedDir(rel, e.name)) this.collectAll(rel, out);
    }
  }

  private list(relDir: string): Entry[] {
    let entries = this.dirs.get(relDir);
    if (entries) return entries;
    entries = [];
    // Read a batch at a time (opendir), not as one listing: readdirSync's array of a
    // 20,000-file directory and its Dirents are ~5 MB at once outside and inside V8's
    // heap, which set the setup daemon's peak at each (re)load of such a project.
    let dir: Dir;
    try {
      dir = opendirSync(join(this.root, relDir));
    } catch {
      // Unreadable or vanished while walking: it holds nothing we can compile.
      return this.remember(relDir, entries);
    }
    try {
      for (let d: Dirent | null; (d = readOrNull(dir)) !== null; ) this.addEntry(entries, relDir, d);
    } finally {
      dir.closeSync();
    }
    return this.remember(relDir, entries);
  }

  private remember(relDir: string, entries: Entry[]): Entry[] {
    this.dirs.set(relDir, entries);
    return entries;
  }

  private addEntry(entries: Entry[], relDir: string, d: Dirent): void {
    if (d.isSymbolicLink()) {
      try {
        const st = statSync(join(this.root, relDir, d.name));
        entries.push({ name: d.name, isDir: st.isDirectory(), isFile: st.isFile(), isSymlink: true });
      } catch {
        // A dangling link is not a file.
      }
    } else {
      entries.push({ name: d.name, isDir: d.isDirectory(), isFile: d.isFile(), isSymlink: false });
    }
  }
}

/** The next entry, or null at the end or when the directory vanished or became unreadable
 *  while being read (what was read so far is kept, as a listing would have had it or less). */
function readOrNull(dir: Dir): Dirent | null {
  try {
    return dir.readSync();
  } catch {
    return null;
  }
}

/** An alternative's parts as the walk takes them; braces may have brought in what
 *  normalizePattern refuses in the whole pattern (`{/etc,src}`, `{..,src}`). */
function segmentsOf(parts: Minimatch['set'][number], original: string): Segment[] {
  if (parts.length > 1 && parts[0] === '') {
    throw new GlobSyntaxError(original, 'source globs are relative to the project root, not absolute');
  }
  const segs: Segment[] = [];
  for (const part of parts) {
    if (part === GLOBSTAR) segs.push({ kind: 'globstar' });
    else if (typeof part !== 'string') segs.push({ kind: 'regex', re: part });
    else if (part === '..') throw new GlobSyntaxError(original, "'..' would leave the project root; sources must be inside the project");
    else if (part !== '' && part !== '.') segs.push({ kind: 'name', name: part });
  }
  if (segs.length === 0) throw new GlobSyntaxError(original, 'the pattern is empty');
  return segs;
}

function joinRel(dir: string, name: string): string {
  return dir === '' ? name : `${dir}/${name}`;
}

/** Plain code-unit order: the same on every machine, unlike localeCompare. */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Files under `root` matching `pattern`; see GlobWalker. */
export function expandGlob(root: string, pattern: string, options: GlobOptions = {}): string[] {
  return new GlobWalker(root, options).expand(pattern);
}

/** The union of several patterns' matches, sorted and unique. */
export function expandGlobs(root: string, patterns: readonly string[], options: GlobOptions = {}): string[] {
  const walker = new GlobWalker(root, options);
  const all = new Set<string>();
  for (const p of patterns) for (const f of walker.expand(p)) all.add(f);
  return [...all].sort(byCodeUnit);
}
