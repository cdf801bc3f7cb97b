// smol-toml gives values but not where they were written, and a validation error
// that cannot name a line is one the user has to hunt for. toml-eslint-parser (the
// parser of eslint-plugin-toml) gives a syntax tree with positions: this indexes
// where each key (and each array element) is first written. It is loaded on the
// first question, which only a config with a problem asks, so a good config's load
// does not pay for a second parser.
import { createRequire } from 'node:module';
import type { AST } from 'toml-eslint-parser';

export interface SourcePosition {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units (what editors count). */
  column: number;
}

/**
 * Where `keyPath` is written in `sourceText`. Array elements and the tables of an
 * array of tables (`[[a]]`) are addressed by their index as a string ("0", "1"...).
 * Falls back to the nearest enclosing key or table header that is written, so a
 * missing key points at its table; then to line 1, column 1 (also for text that
 * does not parse: the caller reports that error itself).
 */
export function locateKey(sourceText: string, keyPath: readonly string[]): SourcePosition {
  const index = keyIndexFor(sourceText);
  for (let n = keyPath.length; n > 0; n--) {
    const pos = index.get(encodePath(keyPath.slice(0, n)));
    if (pos) return pos;
  }
  return { line: 1, column: 1 };
}

// Validation reports many issues against the same text in a row; parse it once.
let cached: { text: string; index: Map<string, SourcePosition> } | null = null;

function keyIndexFor(text: string): Map<string, SourcePosition> {
  if (cached?.text !== text) cached = { text, index: indexKeys(text) };
  return cached.index;
}

type Parser = typeof import('toml-eslint-parser');
let parser: Parser | null = null;

function indexKeys(text: string): Map<string, SourcePosition> {
  const positions = new Map<string, SourcePosition>();
  let program: AST.TOMLProgram;
  try {
    parser ??= createRequire(import.meta.url)('toml-eslint-parser') as Parser;
    // 1.1 accepts all that 1.0 does, and what smol-toml accepts beyond it (newlines in inline tables).
    program = parser.parseTOML(text, { tomlVersion: '1.1' });
  } catch {
    return positions;
  }
  const record = (path: readonly (string | number)[], node: AST.TOMLNode) => {
    const key = encodePath(path.map(String));
    if (!positions.has(key)) positions.set(key, { line: node.loc.start.line, column: node.loc.start.column + 1 });
  };
  const keyValue = (base: readonly (string | number)[], kv: AST.TOMLKeyValue) => {
    const path = [...base];
    for (const k of kv.key.keys) record((path.push(nameOf(k)), path), k);
    value(path, kv.value);
  };
  const value = (path: readonly (string | number)[], v: AST.TOMLContentNode) => {
    if (v.type === 'TOMLArray') {
      v.elements.forEach((e, i) => {
        record([...path, i], e);
        value([...path, i], e);
      });
    } else if (v.type === 'TOMLInlineTable') {
      for (const kv of v.body) keyValue(path, kv);
    }
  };
  for (const item of program.body[0].body) {
    if (item.type === 'TOMLKeyValue') {
      keyValue([], item);
      continue;
    }
    // A header names each of its keys where it is written; an array of tables' entry
    // (resolvedKey ends with its index) also at its last key. A header under `[[a]]`
    // extends the latest table of that array: resolvedKey says which.
    const keys = item.key.keys;
    let k = 0;
    item.resolvedKey.forEach((seg, i) => {
      if (typeof seg === 'number') {
        if (i === item.resolvedKey.length - 1) record(item.resolvedKey, keys[keys.length - 1]!);
        return;
      }
      record(item.resolvedKey.slice(0, i + 1), keys[k++]!);
    });
    for (const kv of item.body) keyValue(item.resolvedKey, kv);
  }
  return positions;
}

function nameOf(k: AST.TOMLBare | AST.TOMLQuoted): string {
  return k.type === 'TOMLBare' ? k.name : k.value;
}

function encodePath(path: readonly string[]): string {
  return path.join('\u0000');
}
