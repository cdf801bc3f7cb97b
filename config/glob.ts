// Globs for `sources` and `ignored_patterns`. Our own matcher because Node 20
// has no fs.glob and one more dependency is one more thing to trust.
//
// Syntax: `*` any run of characters but `/` (a leading dot included, so `*.swp`
// catches vim's `.main.cpp.swp`), `?` one such character, `[abc]`, `[a-z]`,
// `[!abc]` / `[^abc]` one character of (not of) a set, `{a,b}` alternatives
// (nestable, may contain `/`), `**` as a whole segment any number of directories,
// `\` escapes the next character.

import { readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';

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

/** Does `s` use any glob syntax, or is it a plain path? */
export function isGlobPattern(s: string): boolean {
  return /[*?[\]{}]/.test(s);
}

/** `a{b,c{d,e}}f` → `abf`, `acdf`, `acef`. Escapes and `[...]` sets are kept as written. */
export function expandBraces(pattern: string): string[] {
  const out: string[] = [];
  expandInto(pattern, pattern, out);
  return out;
}

function expandInto(pattern: string, original: string, out: string[]): void {
  const open = findTopLevelBrace(pattern, original);
  if (open < 0) {
    if (out.length >= MAX_ALTERNATIVES) {
      throw new GlobSyntaxError(original, `braces expand to more than ${MAX_ALTERNATIVES} patterns`);
    }
    out.push(pattern);
    return;
  }
  const alternatives: string[] = [];
  let depth = 0;
  let start = open + 1;
  for (let i = open + 1; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') i = closeOfSet(pattern, i, original);
    else if (c === '{') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (c === ',' && depth === 0) {
      alternatives.push(pattern.slice(start, i));
      start = i + 1;
    } else if (c === '}') {
      alternatives.push(pattern.slice(start, i));
      const before = pattern.slice(0, open);
      const after = pattern.slice(i + 1);
      for (const alt of alternatives) expandInto(before + alt + after, original, out);
      return;
    }
  }
  throw new GlobSyntaxError(original, "'{' is never closed");
}

function findTopLevelBrace(pattern: string, original: string): number {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '[') i = closeOfSet(pattern, i, original);
    else if (c === '{') return i;
    else if (c === '}') throw new GlobSyntaxError(original, "'}' has no matching '{'");
  }
  return -1;
}

/** Index of the `]` closing the set opened at `open`. A `]` right after `[` or `[!` is a member. */
function closeOfSet(pattern: string, open: number, original: string): number {
  let i = open + 1;
  if (pattern[i] === '!' || pattern[i] === '^') i++;
  if (pattern[i] === ']') i++;
  for (; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === ']') return i;
  }
  throw new GlobSyntaxError(original, "'[' is never closed (write \\[ for a literal bracket)");
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRegex(s: string): string {
  return s.replace(REGEX_SPECIAL, '\\$&');
}

/** Regex source for one path segment (no `/` in it, braces already expanded). */
function segmentSource(seg: string, original: string): string {
  let out = '';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i]!;
    if (c === '\\') {
      i++;
      out += escapeRegex(seg[i] ?? '\\');
    } else if (c === '*') {
      while (seg[i + 1] === '*') i++;
      out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const close = closeOfSet(seg, i, original);
      out += setSource(seg.slice(i + 1, close), original);
      i = close;
    } else {
      out += escapeRegex(c);
    }
  }
  return out;
}

function setSource(body: string, original: string): string {
  let negate = false;
  if (body[0] === '!' || body[0] === '^') {
    negate = true;
    body = body.slice(1);
  }
  const chars: { c: string; escaped: boolean }[] = [];
  for (let i = 0; i < body.length; i++) {
    if (body[i] === '\\' && i + 1 < body.length) chars.push({ c: body[++i]!, escaped: true });
    else chars.push({ c: body[i]!, escaped: false });
  }
  let members = '';
  chars.forEach(({ c, escaped }, k) => {
    const isRange = c === '-' && !escaped && k > 0 && k < chars.length - 1;
    if (isRange) members += '-';
    else if (c !== '/') members += c.replace(/[\\\]^-]/, '\\$&');
  });
  // A set never matches `/`, negated or not: it stands for one character of a name.
  const source = negate ? `[^/${members}]` : members === '' ? '(?!)' : `[${members}]`;
  try {
    new RegExp(source);
  } catch {
    throw new GlobSyntaxError(original, `bad character set [${body}] (is a range written backwards?)`);
  }
  return source;
}

/** Whole-path regex source for a brace-free pattern. */
function pathSource(pattern: string, original: string): string {
  const segs = pattern.split('/');
  let out = '';
  segs.forEach((seg, k) => {
    const last = k === segs.length - 1;
    if (seg === '**') out += last ? '.*' : '(?:[^/]*/)*';
    else out += segmentSource(seg, original) + (last ? '' : '/');
  });
  return out;
}

/** A regex matching whole relative paths (forward slashes) against `pattern`. */
export function compileGlob(pattern: string): RegExp {
  const sources = expandBraces(pattern).map((p) => pathSource(p, pattern));
  return new RegExp(`^(?:${sources.join('|')})$`);
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
    const norm = normalizePattern(pattern);
    const found = new Set<string>();
    for (const alt of expandBraces(norm)) {
      const segs = normalizePattern(alt)
        .split('/')
        .map((seg) => compileSegment(seg, pattern));
      this.walk('', segs, 0, found, new Set());
    }
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
    let dirents: Dirent[];
    try {
      dirents = readdirSync(join(this.root, relDir), { withFileTypes: true });
    } catch {
      // Unreadable or vanished while walking: it holds nothing we can compile.
      dirents = [];
    }
    entries = [];
    for (const d of dirents) {
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
    this.dirs.set(relDir, entries);
    return entries;
  }
}

function compileSegment(seg: string, original: string): Segment {
  if (seg === '**') return { kind: 'globstar' };
  if (!/[*?[\\]/.test(seg)) return { kind: 'name', name: seg };
  return { kind: 'regex', re: new RegExp(`^${segmentSource(seg, original)}$`) };
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
