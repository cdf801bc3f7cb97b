// Make-style dependency files as gcc and clang write them with -MD/-MMD -MF.
// Escaping follows what those compilers emit (and what ninja reads back):
//   "\ " a space in a name, "\#" a hash, "$$" a dollar, "\<newline>" a continuation;
//   2N backslashes before a space are N backslashes and a separator, 2N+1 are N and a space.
// Any other backslash is part of the name (Windows paths).

import { readFile } from 'node:fs/promises';

export interface Depfile {
  /** Every real target (normally the one object named by -MT). */
  targets: string[];
  /** Prerequisites in the order the compiler listed them, duplicates removed: the source first, then headers. */
  prereqs: string[];
}

export class DepfileParseError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file ? `${file}: ${message}` : message);
    this.name = 'DepfileParseError';
  }
}

interface Rule {
  targets: string[];
  prereqs: string[];
}

/** A run of characters words() only adds to the word (sticky: matched at lastIndex). */
const PLAIN_RUN = /[^\\$ \t\r\n#:]+/y;

/** Splits the text into logical lines of words, undoing the escapes. A word that
 *  ends a target list carries `colon: true` (its colon stripped). */
function* words(text: string): Generator<{ word: string; colon: boolean } | 'eol'> {
  let word = '';
  let inWord = false;
  const flush = function* (colon: boolean) {
    if (inWord || colon) yield { word, colon };
    word = '';
    inWord = false;
  };
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text[i]!;
    PLAIN_RUN.lastIndex = i;
    if (PLAIN_RUN.test(text)) {
      // Most of a path joins the word as one slice, not one concatenation per
      // character: a depfile lists hundreds of headers per TU.
      word += text.slice(i, PLAIN_RUN.lastIndex);
      inWord = true;
      i = PLAIN_RUN.lastIndex - 1;
      continue;
    }
    if (c === '\\') {
      let j = i;
      while (j < n && text[j] === '\\') j++;
      const run = j - i;
      const next = text[j];
      if (next === '\n' || (next === '\r' && text[j + 1] === '\n')) {
        // The last backslash is the continuation; any before it belong to the name.
        if (run > 1) {
          word += '\\'.repeat(run - 1);
          inWord = true;
        }
        yield* flush(false);
        i = next === '\r' ? j + 1 : j;
        continue;
      }
      if (next === ' ' || next === '\t' || next === '#') {
        word += '\\'.repeat(Math.floor(run / 2));
        inWord = true;
        if (run % 2 === 1) {
          word += next;
          i = j;
        } else {
          i = j - 1;
        }
        continue;
      }
      word += '\\'.repeat(run);
      inWord = true;
      i = j - 1;
      continue;
    }
    if (c === '$' && text[i + 1] === '$') {
      word += '$';
      inWord = true;
      i++;
      continue;
    }
    if (c === ' ' || c === '\t') {
      yield* flush(false);
      continue;
    }
    if (c === '\r' && text[i + 1] === '\n') continue;
    if (c === '\n') {
      yield* flush(false);
      yield 'eol';
      continue;
    }
    if (c === '#' && !inWord) {
      // A comment runs to the end of the line.
      while (i + 1 < n && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === ':') {
      const after = text[i + 1];
      const continued = after === '\\' && (text[i + 2] === '\n' || text[i + 2] === '\r');
      const endsTargets =
        after === undefined || after === ' ' || after === '\t' || after === '\n' || after === '\r' || after === ':' || continued;
      if (endsTargets) {
        if (after === ':') i++; // "::" double-colon rules read the same for our purpose
        yield* flush(true);
        continue;
      }
    }
    word += c;
    inWord = true;
  }
  yield* flush(false);
  yield 'eol';
}

function parseRules(text: string, file?: string): Rule[] {
  const rules: Rule[] = [];
  let cur: Rule | null = null;
  let pendingTargets: string[] = [];
  for (const w of words(text)) {
    if (w === 'eol') {
      if (pendingTargets.length) {
        throw new DepfileParseError(`expected ":" after target ${JSON.stringify(pendingTargets[0])}`, file);
      }
      if (cur) rules.push(cur);
      cur = null;
      continue;
    }
    if (cur) {
      if (w.word !== '') cur.prereqs.push(w.word);
      continue;
    }
    if (w.word !== '') pendingTargets.push(w.word);
    if (w.colon) {
      if (!pendingTargets.length) throw new DepfileParseError('rule without a target', file);
      cur = { targets: pendingTargets, prereqs: [] };
      pendingTargets = [];
    }
  }
  return rules;
}

export function parseDepfile(text: string, file?: string): Depfile {
  const rules = parseRules(text, file);
  const targets: string[] = [];
  const prereqs: string[] = [];
  const seenT = new Set<string>();
  const seenP = new Set<string>();
  for (const rule of rules) {
    // -MP adds "header.h:" with no prerequisites for every header so make does not
    // fail when one is deleted; those are not targets of the compile.
    const phony = rule.prereqs.length === 0 && rules.length > 1 && rule.targets.every((t) => seenP.has(t));
    if (phony) continue;
    for (const t of rule.targets) if (!seenT.has(t)) (seenT.add(t), targets.push(t));
    for (const p of rule.prereqs) if (!seenP.has(p)) (seenP.add(p), prereqs.push(p));
  }
  return { targets, prereqs };
}

export async function readDepfile(path: string): Promise<Depfile> {
  return parseDepfile(await readFile(path, 'utf8'), path);
}
