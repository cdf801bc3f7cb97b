// Comment-blind content hashes, for direct mode.
//
// A reworded comment changes a file's bytes but not what the compiler makes of it,
// so direct mode hashes project sources and headers with the *body* of every comment
// it can vouch for overwritten by spaces: a comment-only edit of a header then keeps
// its hash and is a direct hit, with no -E run.
//
// What the hash must still see, so that equal hashes mean equal compiles:
//  - Every token's line and column. Bodies are blanked byte for byte (newline, CR,
//    tab, VT and FF kept as they are; tabs move display columns), so __LINE__, the
//    line:col of every diagnostic and the line/column tables of -g are unchanged.
//    What follows a line's last token moves nothing and is hashed without its text
//    (line-tails.ts): a comment of any length on its own line or at a line's end, and
//    blanks, are direct hits. A comment with a token after it on its line keeps its
//    length in the hash (a same-length rewording is a hit); one that changes length,
//    or adds a line, is left to preprocessor mode, which hashes -E output (there,
//    columns are kept as padding and lines as line markers).
//  - Where comments are. The delimiters (/* */ and //) stay, so a comment and the
//    same number of spaces never hash alike (gcc's -Wimplicit-fallthrough=1 takes
//    any comment before a case label as a fallthrough marker).
//  - Comments whose text the compiler reads. These are kept verbatim: any "fall"
//    (every -Wimplicit-fallthrough marker spells it), "/*" inside a block comment and
//    a line splice in a // comment (-Wcomment), any byte outside printable ASCII
//    (-Wbidi-chars, -Winvalid-utf8, display widths), any backslash (a splice, a UCN).
//
// Where a comment is must be decided exactly as the compiler decides it, or text
// that is really code could be blanked (a stale hit). The lexer below follows
// translation phases 1–3: line splices (backslash, optional blanks, newline) anywhere
// outside raw strings; string and character literals with escapes (prefixes need no
// care: u8'x' is an identifier then a literal, which lexes the same); raw strings
// R"d(...)d" (and LR uR UR u8R), taken physically as the standard asks; header names
// after #include / #include_next / #import and inside __has_include(...), where // and
// /* are part of the name (any #, or the %: digraph, starts a directive here: taking
// too many things for header names only keeps more text); pp-numbers, where a digit
// separator ' continues the number (1'000'000) only if more digits or letters follow.
//
// Two of those rules depend on the language standard in force (digit separators from
// C++14 and C23, raw strings in C++11 and gnu C), which a cache cannot reliably know
// (no -std means the compiler's default). So a file that has a ' after a number
// character, or an R before a quote, is lexed under each reading, and only comments
// found, identically, under all of them are blanked. Strict C90 (no // comments),
// -traditional-cpp, -C/-CC and clang's comment parsing are excluded per compile by
// the caller (commentsAreBlind in arg-classes.ts). A file with a trigraph sequence, a UCN
// outside a literal, an unterminated or malformed raw string or a digit separator
// after an exponent sign is hashed as it is: rare, and not worth a cleverer lexer.
//
// What this changes for a hit: its stderr is the original compile's. Every location
// in it is still right, but the caret lines gcc prints under a diagnostic quote the
// source line as it was then, so a comment on that very line shows its old wording.
// That is what preprocessor mode (here and in ccache) has always replayed after a
// comment edit; it is accepted, not patched (rewriting quoted source lines would
// have to reproduce gcc's tab expansion and range underlining).

import { createHash } from 'node:crypto';
import { asIsHash, positionsHash } from './line-tails.js';
import { APOS, BS, CR, FF, NL, QUOTE, SLASH, SP, STAR, TAB, VT } from './source-bytes.js';

export interface IncludeName {
  name: string;
  angled: boolean;
}

export interface CommentBlindFacts {
  /** sha256 hex of the text with the safe comments' bodies blanked and each line's
   *  tail reduced to its comment delimiters (line-tails.ts); tagged, so it never equals
   *  a plain content hash. */
  blindHash: string;
  /** How many comments were blanked. */
  blanked: number;
  /** tokenHash(): the text without comments and white space. */
  tokenHash: string;
  /** #include / #include_next / #import names, as written (precompiled-header checks). */
  includes: IncludeName[];
  /** An #include whose operand is not a literal name (a macro), or a file not lexed. */
  computedInclude: boolean;
  /** Why the file was hashed as it is, or null. */
  gaveUp: string | null;
}

/** The next logical character at or after `i`: line splices are skipped. */
function sk(d: Uint8Array, i: number): number {
  while (d[i] === BS) {
    let j = i + 1;
    while (d[j] === SP || d[j] === TAB || d[j] === VT || d[j] === FF) j++;
    if (d[j] === NL) i = j + 1;
    else if (d[j] === CR) i = d[j + 1] === NL ? j + 2 : j + 1;
    else break;
  }
  return i;
}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
/** gcc's ISIDNUM: letters, digits, underscore. */
const isIdnum = (c: number | undefined): boolean =>
  c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f);
/** Identifier characters beyond ISIDNUM: $ (gcc's default) and UTF-8 bytes. */
const isIdExtra = (c: number | undefined): boolean => c !== undefined && (c === 0x24 || c >= 0x80);
const isSpace = (c: number | undefined): boolean => c === SP || c === TAB || c === VT || c === FF;

interface Span {
  /** Start of the opener, first body byte, end of the body, end of the closer (physical offsets). */
  s: number;
  bs: number;
  be: number;
  e: number;
  ok: boolean;
}

interface LexResult {
  spans: Span[];
  /** String, character and raw-string literals and header names (their white space is theirs). */
  lits: { s: number; e: number }[];
  includes: IncludeName[];
  computed: boolean;
  giveUp: string | null;
}

/** May this comment body be blanked? (See the top of the file.) */
function blankable(d: Uint8Array, a: number, b: number, block: boolean): boolean {
  for (let k = a; k < b; k++) {
    const c = d[k]!;
    if (c >= 0x7f || c === BS) return false;
    if (c < SP && c !== TAB && c !== NL && c !== CR && c !== VT && c !== FF) return false;
    if (block && c === SLASH && d[k + 1] === STAR && k + 1 < b) return false;
    if ((c | 0x20) === 0x66 && k + 3 < b && (d[k + 1]! | 0x20) === 0x61 && (d[k + 2]! | 0x20) === 0x6c && (d[k + 3]! | 0x20) === 0x6c) {
      return false;
    }
  }
  return true;
}

const RAW_PREFIXES = new Set(['R', 'LR', 'uR', 'UR', 'u8R']);
const INCLUDE_WORDS = new Set(['include', 'include_next', 'import']);
const HAS_INCLUDE_WORDS = new Set(['__has_include', '__has_include_next', '__has_include__', '__has_include_next__']);

/** End of a raw string whose opening quote is at `q` (taken physically), or -1. */
function skipRaw(d: Buffer, q: number): number {
  const start = q + 1;
  let p = start;
  while (p < d.length && d[p] !== 0x28) {
    const c = d[p]!;
    if (p - start >= 16 || c <= SP || c >= 0x7f || c === 0x29 || c === BS || c === QUOTE) return -1;
    p++;
  }
  if (p >= d.length) return -1;
  const delimLen = p - start;
  let k = p + 1;
  for (;;) {
    k = d.indexOf(0x29, k);
    if (k < 0) return -1;
    let m = 0;
    while (m < delimLen && d[k + 1 + m] === d[start + m]) m++;
    if (m === delimLen && d[k + 1 + delimLen] === QUOTE) return k + 2 + delimLen;
    k++;
  }
}

/** One reading of the text: digit separators and raw strings on or off. */
function lex(d: Buffer, sep: boolean, raw: boolean): LexResult {
  const n = d.length;
  const spans: Span[] = [];
  const lits: { s: number; e: number }[] = [];
  const includes: IncludeName[] = [];
  let computed = false;
  const out = (giveUp: string | null): LexResult => ({ spans, lits, includes, computed, giveUp });
  // 0: nothing; 1: after "#"; 2: after "#include", a header name may follow;
  // 3: after __has_include; 4: after "__has_include(", a header name may follow.
  let st = 0;
  let i = sk(d, 0);
  while (i < n) {
    const c = d[i]!;
    if (c === NL || c === CR) {
      st = 0;
      i = sk(d, i + 1);
      continue;
    }
    if (isSpace(c)) {
      i = sk(d, i + 1);
      continue;
    }
    const j = sk(d, i + 1);
    if (c === SLASH && d[j] === STAR) {
      const bs = j + 1;
      let p = sk(d, bs);
      let be = -1;
      let e = -1;
      while (p < n) {
        if (d[p] === STAR) {
          const q = sk(d, p + 1);
          if (d[q] === SLASH) {
            be = p;
            e = q + 1;
            break;
          }
          p = q;
          continue;
        }
        p = sk(d, p + 1);
      }
      if (e < 0) {
        // Unterminated: an error for the compiler; nothing after it is code either.
        spans.push({ s: i, bs, be: n, e: n, ok: false });
        return out(null);
      }
      spans.push({ s: i, bs, be, e, ok: blankable(d, bs, be, true) });
      i = sk(d, e);
      continue;
    }
    if (c === SLASH && d[j] === SLASH) {
      const bs = j + 1;
      let p = bs;
      while (p < n) {
        const ch = d[p];
        if (ch === BS) {
          const q = sk(d, p);
          p = q === p ? p + 1 : q; // a splice continues the comment on the next line
          continue;
        }
        if (ch === NL || ch === CR) break;
        p++;
      }
      spans.push({ s: i, bs, be: p, e: p, ok: blankable(d, bs, p, false) });
      i = p;
      continue;
    }
    if (st === 2 || st === 4) {
      if (c === 0x3c || c === QUOTE) {
        // A header name: no escapes, no comments, ends at its closer or the line's end.
        const close = c === 0x3c ? 0x3e : QUOTE;
        const bytes: number[] = [];
        let p = j;
        while (p < n && d[p] !== close && d[p] !== NL && d[p] !== CR) {
          bytes.push(d[p]!);
          p = sk(d, p + 1);
        }
        if (st === 2) {
          if (d[p] === close) includes.push({ name: Buffer.from(bytes).toString('utf8'), angled: c === 0x3c });
          else computed = true;
        }
        st = 0;
        lits.push({ s: i, e: p + 1 });
        i = d[p] === close ? sk(d, p + 1) : p;
        continue;
      }
      // In a header-name context gcc lexes quotes without escapes; code outside one lexes
      // them with escapes. Which one applies is only known to the compiler (is the line
      // evaluated?), and only an ill-formed directive puts a ' there: hash as it is.
      if (c === APOS) return out("a ' where a header name belongs");
      if (st === 2) computed = true;
      st = 0;
    }
    if (c === QUOTE || c === APOS) {
      let p = j;
      while (p < n) {
        const ch = d[p];
        if (ch === c) {
          p = sk(d, p + 1);
          break;
        }
        if (ch === NL || ch === CR) break; // unterminated: ends with the line
        p = ch === BS ? sk(d, sk(d, p + 1) + 1) : sk(d, p + 1);
      }
      lits.push({ s: i, e: Math.min(p, n) });
      i = Math.min(p, n);
      st = 0;
      continue;
    }
    if (isDigit(c) || (c === 0x2e && isDigit(d[j]))) {
      let prev = c;
      let p = j;
      for (;;) {
        const ch = d[p];
        if (isIdnum(ch) || isIdExtra(ch) || ch === 0x2e) {
          prev = ch!;
          p = sk(d, p + 1);
          continue;
        }
        if ((ch === 0x2b || ch === 0x2d) && (prev === 0x65 || prev === 0x45 || prev === 0x70 || prev === 0x50)) {
          prev = ch;
          p = sk(d, p + 1);
          continue;
        }
        if (ch === APOS && sep) {
          // Whether p+ takes a sign differs between standards; so would this separator.
          if (prev === 0x2b || prev === 0x2d) return out('digit separator after an exponent sign');
          let q = p;
          while (d[q] === APOS) q = sk(d, q + 1);
          if (isIdnum(d[q])) {
            prev = d[q]!;
            p = sk(d, q + 1);
            continue;
          }
          break;
        }
        if (ch === BS && (d[p + 1] === 0x75 || d[p + 1] === 0x55)) return out('universal character name');
        break;
      }
      i = p;
      st = 0;
      continue;
    }
    if (isIdnum(c) || isIdExtra(c)) {
      let word = String.fromCharCode(c);
      let p = j;
      while (p < n && (isIdnum(d[p]) || isIdExtra(d[p]))) {
        if (word.length < 24) word += String.fromCharCode(d[p]!);
        p = sk(d, p + 1);
      }
      if (d[p] === BS && (d[p + 1] === 0x75 || d[p + 1] === 0x55)) return out('universal character name');
      if (raw && d[p] === QUOTE && RAW_PREFIXES.has(word)) {
        const e = skipRaw(d, p);
        if (e < 0) return out('unterminated or malformed raw string');
        lits.push({ s: p, e });
        i = sk(d, e);
        st = 0;
        continue;
      }
      if (st === 1 && INCLUDE_WORDS.has(word)) st = 2;
      else if (HAS_INCLUDE_WORDS.has(word)) st = 3;
      else st = 0;
      i = p;
      continue;
    }
    if (c === 0x23 || (c === 0x25 && d[j] === 0x3a)) {
      // "#" or "%:": a directive may start (taken anywhere on a line, see the top).
      st = 1;
      i = c === 0x23 ? j : sk(d, j + 1);
      continue;
    }
    if (c === BS && (d[i + 1] === 0x75 || d[i + 1] === 0x55)) return out('universal character name');
    st = st === 3 && c === 0x28 ? 4 : 0;
    i = j;
  }
  return out(null);
}

const TRIGRAPH_LAST = new Set([0x3d, 0x28, 0x2f, 0x29, 0x27, 0x3c, 0x21, 0x3e, 0x2d]);

function hasTrigraph(d: Buffer): boolean {
  for (let k = d.indexOf('??'); k >= 0; k = d.indexOf('??', k + 1)) {
    if (TRIGRAPH_LAST.has(d[k + 2]!)) return true;
  }
  return false;
}

/** A ' that could be a digit separator: right after a character a pp-number can hold
 *  (letters, digits, _, $, UTF-8, ".", an exponent's sign, another '), or after a
 *  newline that may end a splice inside a number (1\<newline>'000). */
function mayHaveDigitSeparator(d: Buffer): boolean {
  for (let k = d.indexOf(APOS, 1); k >= 0; k = d.indexOf(APOS, k + 1)) {
    const p = d[k - 1];
    if (isIdnum(p) || isIdExtra(p) || p === 0x2e || p === 0x2b || p === 0x2d || p === APOS || p === NL || p === CR) return true;
  }
  return false;
}

/** An R before a quote (or before a splice that may hide one). */
function mayHaveRawString(d: Buffer): boolean {
  for (let k = d.indexOf(0x52); k >= 0; k = d.indexOf(0x52, k + 1)) {
    if (d[k + 1] === QUOTE || d[k + 1] === BS) return true;
  }
  return false;
}

/** The text with every comment that all readings agree on, and that may be blanked,
 *  blanked; plus the include names (union over the readings). */
export interface Blanked {
  text: Buffer;
  blanked: number;
  includes: IncludeName[];
  computedInclude: boolean;
  gaveUp: string | null;
  /** Every comment span of the first reading (blankable or not), for tokenHash. */
  comments: readonly { s: number; e: number }[];
  /** The blankable comments all readings agree on (empty bodies too), for line-tails.ts. */
  kept: readonly CommentSpan[];
  /** What some reading takes for a literal, a header name or a comment not in `kept`. */
  guarded: readonly { s: number; e: number }[];
}

/** Start of the opener, first body byte, end of the body, end of the closer (physical offsets). */
export type CommentSpan = Pick<Span, 's' | 'bs' | 'be' | 'e'>;

export function blankComments(d: Buffer): Blanked {
  const asIs = (why: string): Blanked => ({ text: d, blanked: 0, includes: [], computedInclude: true, gaveUp: why, comments: [], kept: [], guarded: [] });
  if (hasTrigraph(d)) return asIs('trigraph');
  const seps = mayHaveDigitSeparator(d) ? [false, true] : [false];
  const raws = mayHaveRawString(d) ? [false, true] : [false];
  const runs: LexResult[] = [];
  for (const sep of seps) {
    for (const raw of raws) {
      const r = lex(d, sep, raw);
      if (r.giveUp) return asIs(r.giveUp);
      runs.push(r);
    }
  }
  const first = runs[0]!;
  let keep = first.spans.filter((s) => s.ok);
  for (const r of runs.slice(1)) {
    const agreed = new Set(r.spans.filter((s) => s.ok).map((s) => `${s.s}:${s.e}`));
    keep = keep.filter((s) => agreed.has(`${s.s}:${s.e}`));
  }
  const seen = new Set<string>();
  const includes: IncludeName[] = [];
  for (const r of runs) {
    for (const inc of r.includes) {
      const k = `${inc.angled ? '<' : '"'}${inc.name}`;
      if (!seen.has(k)) (seen.add(k), includes.push(inc));
    }
  }
  const computedInclude = runs.some((r) => r.computed);
  const blanked = keep.filter((s) => s.be > s.bs);
  const comments = first.spans;
  const keptAt = new Set(keep.map((s) => `${s.s}:${s.e}`));
  const guarded = runs.flatMap((r) => [...r.lits, ...r.spans.filter((s) => !keptAt.has(`${s.s}:${s.e}`))]);
  const facts = { includes, computedInclude, gaveUp: null, comments, kept: keep, guarded };
  if (blanked.length === 0) return { text: d, blanked: 0, ...facts };
  const text = Buffer.from(d);
  for (const s of blanked) {
    for (let k = s.bs; k < s.be; k++) {
      const c = text[k]!;
      if (c !== NL && c !== CR && c !== TAB && c !== VT && c !== FF) text[k] = SP;
    }
  }
  return { text, blanked: blanked.length, ...facts };
}

/**
 * A hash of the text with every comment and all white space left out: a guess at
 * whether a header edit can leave the preprocessed output alone. It only decides
 * whether running `-E` is worth it after a direct miss (mode-policy.ts); equal
 * token hashes do not make anything a hit. Conflating "a b" with "ab" only means an
 * -E run that finds nothing, as before this guess existed.
 */
function tokenHash(d: Buffer, b: Blanked, rawHash: string): string {
  if (b.gaveUp) return rawHash;
  const out = Buffer.allocUnsafe(d.length);
  let n = 0;
  let from = 0;
  const put = (a: number, z: number) => {
    for (let k = a; k < z; k++) {
      const c = d[k]!;
      if (c !== SP && c !== NL && c !== CR && c !== TAB && c !== VT && c !== FF) out[n++] = c;
    }
  };
  for (const c of b.comments) {
    put(from, c.s);
    from = c.e;
  }
  put(from, d.length);
  return createHash('sha256').update(out.subarray(0, n)).digest('hex');
}

/** Comment-blind facts of a file's content; `rawHash` is its plain sha256. */
export function commentBlindFacts(data: Buffer, rawHash: string): CommentBlindFacts {
  const b = blankComments(data);
  return {
    blindHash: b.gaveUp ? asIsHash(data) : positionsHash(data, b.text, b.kept, b.guarded),
    tokenHash: tokenHash(data, b, rawHash),
    blanked: b.blanked,
    includes: b.includes,
    computedInclude: b.computedInclude,
    gaveUp: b.gaveUp,
  };
}
