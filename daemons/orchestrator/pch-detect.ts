// What a precompiled header may hold, read from the text of sources and headers.
// Pure: no file system, so every rule here is unit-tested on strings.
//
// A TU's "leading includes" are its #include lines before anything else: comments and
// blank lines may come between them, but the first other directive (#define, #if,
// #pragma, ...) or line of code ends the list. Only those can be precompiled: a macro
// defined before them, or code, could change what they mean.
//
// A header may go into a PCH only when it is guarded against double inclusion
// (#pragma once, or an #ifndef/#define pair spanning the whole file): the PCH is forced
// in with -include before the TU's own text, so the TU's own #include lines of the same
// headers come after it and must be no-ops. The guard is what makes them no-ops.

export interface LeadingInclude {
  /** As written between the delimiters: `vector`, `gtest/gtest.h`. */
  name: string;
  angled: boolean;
}

/** The text with comments replaced by a space (newlines kept) and continuations joined. */
function stripComments(text: string): string {
  const src = text.replace(/\\\r?\n/g, '');
  let out = '';
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    const n = src[i + 1];
    if (c === '/' && n === '/') {
      const end = src.indexOf('\n', i);
      i = end === -1 ? src.length : end;
      out += ' ';
    } else if (c === '/' && n === '*') {
      const end = src.indexOf('*/', i + 2);
      const body = src.slice(i, end === -1 ? src.length : end + 2);
      out += ' ' + body.replace(/[^\n]/g, '');
      i = end === -1 ? src.length : end + 2;
    } else if (c === '"' || c === "'") {
      // A literal may hold "//" or "/*": copy it whole (to its closing quote on the line).
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
      out += src.slice(i, j + 1);
      i = j + 1;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

const INCLUDE = /^#\s*include\s*(?:<([^>\n]+)>|"([^"\n]+)")\s*$/;

/** The leading #include lines of a source (see the top of this file). */
export function leadingIncludes(text: string): LeadingInclude[] {
  const out: LeadingInclude[] = [];
  for (const raw of stripComments(text).split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = INCLUDE.exec(line);
    if (!m) break;
    out.push(m[1] !== undefined ? { name: m[1].trim(), angled: true } : { name: m[2]!.trim(), angled: false });
  }
  return out;
}

/** Directive lines (name and rest) and whether any code lies outside the first/last ones. */
function directives(text: string): { lines: { name: string; rest: string }[]; codeAt: number[] } {
  const lines: { name: string; rest: string }[] = [];
  const codeAt: number[] = [];
  for (const raw of stripComments(text).split('\n')) {
    const line = raw.trim();
    if (line === '') continue;
    const m = /^#\s*([A-Za-z_]+)?\s*(.*)$/.exec(line);
    if (m) lines.push({ name: m[1] ?? '', rest: m[2]!.trim() });
    else codeAt.push(lines.length);
  }
  return { lines, codeAt };
}

/** Whether including the header a second time is a no-op: `#pragma once` before any
 *  code, or an #ifndef X / #define X pair first whose #endif is the file's last line. */
export function isIncludeGuarded(text: string): boolean {
  const { lines, codeAt } = directives(text);
  const firstCode = codeAt.length ? codeAt[0]! : Infinity;
  const once = lines.findIndex((d) => d.name === 'pragma' && /^once\b/.test(d.rest));
  if (once !== -1 && once < firstCode) return true;
  if (lines.length < 3 || firstCode < 2) return false;
  const first = lines[0]!;
  const second = lines[1]!;
  const macro =
    first.name === 'ifndef' ? first.rest.split(/\s/)[0] : first.name === 'if' ? /^!\s*defined\s*\(?\s*([A-Za-z_]\w*)\s*\)?$/.exec(first.rest)?.[1] : undefined;
  if (!macro || second.name !== 'define' || second.rest.split(/[\s(]/)[0] !== macro) return false;
  // The guard's #if must close on the last directive, with no code after it.
  let depth = 0;
  for (let i = 0; i < lines.length; i++) {
    const d = lines[i]!.name;
    if (d === 'if' || d === 'ifdef' || d === 'ifndef') depth++;
    else if (d === 'endif') {
      depth--;
      if (depth === 0) return i === lines.length - 1 && codeAt.every((at) => at <= i);
    }
  }
  return false;
}

/** A TU's prefix candidates: its leading includes up to the first one that may not be
 *  precompiled, each identified by spelling and resolved file. */
export interface TuIncludes {
  source: string;
  /** `<vector>=/usr/include/c++/12/vector`: a key per include. */
  keys: string[];
}

/** Fewest TUs a PCH must serve: one alone saves nothing over its own compile. */
export const MIN_PCH_USERS = 2;

/**
 * The prefix to precompile for TUs built with the same flags: among the prefixes of
 * their lists, the one with the largest (TUs that start with it) × (its length), with
 * at least MIN_PCH_USERS TUs; on a tie the longer one. Length stands for the parse work
 * saved per TU, the count for how often it is saved. Null when no prefix pays.
 */
export function choosePrefix(tus: readonly TuIncludes[]): string[] | null {
  const counts = new Map<string, { keys: string[]; n: number }>();
  for (const tu of tus) {
    for (let len = 1; len <= tu.keys.length; len++) {
      const keys = tu.keys.slice(0, len);
      const id = keys.join('\n');
      const c = counts.get(id);
      if (c) c.n++;
      else counts.set(id, { keys, n: 1 });
    }
  }
  let best: { keys: string[]; n: number } | null = null;
  for (const c of counts.values()) {
    if (c.n < MIN_PCH_USERS) continue;
    const score = c.n * c.keys.length;
    const bestScore = best ? best.n * best.keys.length : 0;
    if (score > bestScore || (score === bestScore && best !== null && c.keys.length > best.keys.length)) best = c;
  }
  return best ? best.keys : null;
}

/** Whether a TU's include list starts with `prefix` exactly. */
export function startsWithPrefix(keys: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= keys.length && prefix.every((k, i) => keys[i] === k);
}
