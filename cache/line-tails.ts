// The comment-blind hash of a file (comment-blind.ts): what it keeps of each line.
//
// An object, its debug info and its diagnostics see tokens, and each token's line and
// column (-g line tables carry columns by default in gcc 12 and clang 14; -fsanitize=
// and OpenMP keep line:col strings without -g; __LINE__, assert and
// std::source_location see lines; -Wmisleading-indentation compares columns). So the
// hash keeps every token with its exact line and column, and nothing else it can prove
// irrelevant:
//
//  - A line's *tail*, the comments and blanks after its last token, moves no token:
//    nothing follows it on that line, and the newline that ends it is kept. Only the
//    tail's comment delimiters are hashed (a comment is there or not:
//    -Wimplicit-fallthrough=1 takes any comment for a marker), not their text nor the
//    blanks around them. So a comment of any length on its own line or at a line's end,
//    the middle lines of a block comment, trailing blanks and blank lines' white space
//    are all free; a comment with a token after it on the same line (its last line, for
//    a block comment) is kept at its length, as comment-blind.ts blanks it.
//  - Every newline stays: a comment that gains or loses a line moves the tokens below
//    it, which is a miss wherever lines could reach the object. Telling when they cannot
//    (no -g, no __LINE__ expanded anywhere, no sanitizer, no OpenMP, no diagnostic) needs
//    the preprocessed TU; a conservative miss is kept instead.
//
// What the tail may not take: bytes a lexer reading could see as a literal, a header
// name or a comment whose text the compiler reads (`guarded`); blanks right after a
// backslash (they make a splice, and gcc warns about the blanks); a line that a splice
// continues (gcc warns about a backslash-newline at the end of the file); a comment
// whose delimiter is itself split by a splice; vertical tabs and form feeds outside
// comments (-pedantic warns about them in directives).
//
// Each line is written as "<length of the kept part>:" + the kept part (comment-blind
// text: inner comments' bodies as spaces) + the tail's delimiters + the line's end, so
// no two different files write the same bytes. Hashes carry a domain tag so a file
// hashed as it is (asIsHash) never equals one hashed this way.

import { createHash } from 'node:crypto';
import { BS, CR, FF, NL, SP, TAB, VT } from './source-bytes.js';

const POSITIONS_TAG = 'replibuild token positions 1\n';
const AS_IS_TAG = 'replibuild bytes as they are 1\n';

/** Classes of bytes: code or blank; kept-comment body; kept-comment delimiter; guarded. */
const CODE = 0;
const BODY = 1;
const DELIM = 2;
const GUARD = 3;

interface Comment {
  s: number;
  bs: number;
  be: number;
  e: number;
}

function classify(n: number, kept: readonly Comment[], guarded: readonly { s: number; e: number }[]): Uint8Array {
  const cls = new Uint8Array(n);
  for (const c of kept) {
    const line = c.be === c.e;
    if (c.bs - c.s !== 2 || (!line && c.e - c.be !== 2)) {
      cls.fill(GUARD, c.s, c.e);
      continue;
    }
    cls.fill(DELIM, c.s, c.bs);
    cls.fill(BODY, c.bs, c.be);
    cls.fill(DELIM, c.be, c.e);
  }
  // Guarded wins over kept, should two readings of the file ever disagree.
  for (const g of guarded) cls.fill(GUARD, g.s, Math.min(g.e, n));
  return cls;
}

/** `blanked`: comment-blind.ts's text (same length as `raw`, kept bodies as spaces). */
export function positionsHash(raw: Buffer, blanked: Buffer, kept: readonly Comment[], guarded: readonly { s: number; e: number }[]): string {
  const n = raw.length;
  const cls = classify(n, kept, guarded);
  let lines = 1;
  for (let k = 0; k < n; k++) if (raw[k] === NL || raw[k] === CR) lines++;
  const out = Buffer.allocUnsafe(n + lines * 12);
  let w = 0;
  let spliced = false;
  let ls = 0;
  for (;;) {
    let le = ls;
    while (le < n && raw[le] !== NL && raw[le] !== CR) le++;
    let t = le;
    while (t > ls) {
      const k = t - 1;
      const c = cls[k]!;
      if (c === BODY || c === DELIM || (c === CODE && (raw[k] === SP || raw[k] === TAB))) t--;
      else break;
    }
    if (t < le && ((t > ls && raw[t - 1] === BS) || (t === ls && spliced))) t = le;
    w += out.write(`${t - ls}:`, w, 'latin1');
    w += blanked.copy(out, w, ls, t);
    for (let k = t; k < le; k++) if (cls[k] === DELIM) out[w++] = raw[k]!;
    let m = le - 1;
    while (m >= ls && (raw[m] === SP || raw[m] === TAB || raw[m] === VT || raw[m] === FF)) m--;
    spliced = m >= ls && raw[m] === BS;
    if (le >= n) break;
    // CR LF is one line end.
    const end = raw[le] === CR && raw[le + 1] === NL ? le + 2 : le + 1;
    w += raw.copy(out, w, le, end);
    ls = end;
  }
  return createHash('sha256').update(POSITIONS_TAG).update(out.subarray(0, w)).digest('hex');
}

/** The comment-blind hash of a file that could not be lexed: its bytes as they are. */
export function asIsHash(raw: Buffer): string {
  return createHash('sha256').update(AS_IS_TAG).update(raw).digest('hex');
}
