// smol-toml gives values but not where they were written, and a validation error
// that cannot name a line is one the user has to hunt for. This is a small,
// forgiving TOML scanner that records where each key (and each array element) is
// first written. It only runs on text that already parsed, but it never throws and
// always makes progress, so a malformed file still gets a best-effort answer.

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
 * missing key points at its table; then to line 1, column 1.
 */
export function locateKey(sourceText: string, keyPath: readonly string[]): SourcePosition {
  const index = keyIndexFor(sourceText);
  for (let n = keyPath.length; n > 0; n--) {
    const pos = index.get(encodePath(keyPath.slice(0, n)));
    if (pos) return pos;
  }
  return { line: 1, column: 1 };
}

// Validation reports many issues against the same text in a row; scan it once.
let cached: { text: string; index: Map<string, SourcePosition> } | null = null;

function keyIndexFor(text: string): Map<string, SourcePosition> {
  if (cached?.text !== text) cached = { text, index: new KeyScanner(text).scan() };
  return cached.index;
}

function encodePath(path: readonly string[]): string {
  return path.join('\u0000');
}

interface KeySegment {
  name: string;
  offset: number;
}

const BARE_KEY = /[A-Za-z0-9_-]+/y;
const SCALAR_END = new Set([',', ']', '}', '#', '\r', '\n']);

class KeyScanner {
  private i = 0;
  private readonly lineStarts: number[] = [0];
  private readonly positions = new Map<string, SourcePosition>();
  /** Array-of-tables path → how many `[[path]]` headers were seen so far. */
  private readonly arrayTables = new Map<string, number>();
  private table: string[] = [];

  constructor(private readonly s: string) {
    for (let k = 0; k < s.length; k++) if (s[k] === '\n') this.lineStarts.push(k + 1);
  }

  scan(): Map<string, SourcePosition> {
    const s = this.s;
    while (this.i < s.length) {
      this.skipBlank(true);
      if (this.i >= s.length) break;
      const start = this.i;
      if (s[this.i] === '[') this.header();
      else this.keyValue(this.table);
      this.finishLine();
      if (this.i === start) this.i++;
    }
    return this.positions;
  }

  private header(): void {
    const isArray = this.s.startsWith('[[', this.i);
    this.i += isArray ? 2 : 1;
    const segs = this.key();
    if (!segs) return;
    const resolved: string[] = [];
    segs.forEach((seg, k) => {
      resolved.push(seg.name);
      this.record(resolved, seg.offset);
      const key = encodePath(resolved);
      if (isArray && k === segs.length - 1) {
        const n = this.arrayTables.get(key) ?? 0;
        this.arrayTables.set(key, n + 1);
        resolved.push(String(n));
        this.record(resolved, seg.offset);
      } else {
        // A header under `[[a]]` extends the latest table of that array.
        const n = this.arrayTables.get(key);
        if (n !== undefined) resolved.push(String(n - 1));
      }
    });
    this.skipSpaces();
    if (this.s.startsWith(isArray ? ']]' : ']', this.i)) this.i += isArray ? 2 : 1;
    this.table = resolved;
  }

  /** `a.b = value` relative to `base`; returns false when there is no `key =` here. */
  private keyValue(base: string[]): boolean {
    const segs = this.key();
    if (!segs) return false;
    this.skipSpaces();
    if (this.s[this.i] !== '=') return false;
    this.i++;
    const path = [...base];
    for (const seg of segs) {
      path.push(seg.name);
      this.record(path, seg.offset);
    }
    this.skipSpaces();
    this.value(path);
    return true;
  }

  private value(path: string[]): void {
    const s = this.s;
    if (s.startsWith('"""', this.i)) return this.skipMultiline('"""', true);
    if (s.startsWith("'''", this.i)) return this.skipMultiline("'''", false);
    const c = s[this.i];
    if (c === '"') {
      this.basicString();
      return;
    }
    if (c === "'") {
      this.literalString();
      return;
    }
    if (c === '[') return this.array(path);
    if (c === '{') return this.inlineTable(path);
    while (this.i < s.length && !SCALAR_END.has(s[this.i]!)) this.i++;
  }

  private array(path: string[]): void {
    this.i++;
    for (let index = 0; ; index++) {
      this.skipBlank(true);
      if (this.i >= this.s.length) return;
      if (this.s[this.i] === ']') {
        this.i++;
        return;
      }
      const element = [...path, String(index)];
      this.record(element, this.i);
      const before = this.i;
      this.value(element);
      this.skipBlank(true);
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] === ']') {
        this.i++;
        return;
      } else if (this.i === before) return;
    }
  }

  private inlineTable(path: string[]): void {
    this.i++;
    for (;;) {
      // TOML 1.0 keeps inline tables on one line; 1.1 allows newlines. Accept both.
      this.skipBlank(true);
      if (this.i >= this.s.length) return;
      if (this.s[this.i] === '}') {
        this.i++;
        return;
      }
      if (!this.keyValue(path)) return;
      this.skipBlank(true);
      if (this.s[this.i] === ',') this.i++;
      else if (this.s[this.i] === '}') {
        this.i++;
        return;
      } else return;
    }
  }

  /** A dotted key; null when the text here is not one. */
  private key(): KeySegment[] | null {
    const segs: KeySegment[] = [];
    for (;;) {
      this.skipSpaces();
      const offset = this.i;
      const c = this.s[this.i];
      let name: string | null;
      if (c === '"') name = this.basicString();
      else if (c === "'") name = this.literalString();
      else {
        BARE_KEY.lastIndex = this.i;
        const m = BARE_KEY.exec(this.s);
        name = m ? m[0] : null;
        if (m) this.i += m[0].length;
      }
      if (name === null) return null;
      segs.push({ name, offset });
      this.skipSpaces();
      if (this.s[this.i] !== '.') return segs;
      this.i++;
    }
  }

  /** Reads a "..." string, decoding escapes so quoted keys compare equal to the parsed ones. */
  private basicString(): string | null {
    const s = this.s;
    this.i++;
    let out = '';
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === '"') {
        this.i++;
        return out;
      }
      if (c === '\n') return null;
      if (c === '\\') {
        const [text, length] = decodeEscape(s, this.i);
        out += text;
        this.i += length;
      } else {
        out += c;
        this.i++;
      }
    }
    return null;
  }

  private literalString(): string | null {
    const s = this.s;
    const end = s.indexOf("'", this.i + 1);
    const newline = s.indexOf('\n', this.i + 1);
    if (end < 0 || (newline >= 0 && newline < end)) {
      this.i = newline < 0 ? s.length : newline;
      return null;
    }
    const text = s.slice(this.i + 1, end);
    this.i = end + 1;
    return text;
  }

  private skipMultiline(delimiter: string, escapes: boolean): void {
    const s = this.s;
    this.i += 3;
    while (this.i < s.length) {
      if (escapes && s[this.i] === '\\') {
        this.i += 2;
      } else if (s.startsWith(delimiter, this.i)) {
        this.i += 3;
        // Up to two quotes right before the closing delimiter belong to the string.
        for (let extra = 0; extra < 2 && s[this.i] === delimiter[0]; extra++) this.i++;
        return;
      } else {
        this.i++;
      }
    }
  }

  private skipSpaces(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  /** Spaces and comments, and newlines too when `newlines`. */
  private skipBlank(newlines: boolean): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i];
      if (c === ' ' || c === '\t') this.i++;
      else if (newlines && (c === '\n' || c === '\r')) this.i++;
      else if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
      } else return;
    }
  }

  /** After a statement: a comment may follow; anything else is skipped to the next line. */
  private finishLine(): void {
    this.skipBlank(false);
    while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
  }

  private record(path: readonly string[], offset: number): void {
    const key = encodePath(path);
    if (!this.positions.has(key)) this.positions.set(key, this.position(offset));
  }

  private position(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  b: '\b',
  t: '\t',
  n: '\n',
  f: '\f',
  r: '\r',
  e: '\x1b',
  '"': '"',
  '\\': '\\',
};

/** The escape starting at `s[at] === '\\'`: its text and how many characters it spans. */
function decodeEscape(s: string, at: number): [string, number] {
  const c = s[at + 1] ?? '';
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return [simple, 2];
  const digits = c === 'x' ? 2 : c === 'u' ? 4 : c === 'U' ? 8 : 0;
  if (digits > 0) {
    const hex = s.slice(at + 2, at + 2 + digits);
    const code = /^[0-9A-Fa-f]+$/.test(hex) ? Number.parseInt(hex, 16) : NaN;
    if (hex.length === digits && code <= 0x10ffff) return [String.fromCodePoint(code), 2 + digits];
  }
  return [c, 2];
}
