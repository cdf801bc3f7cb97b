// Shared by both config loaders: collect every problem with its position, and
// read typed values out of parsed TOML, reporting what is wrong instead of
// guessing. A reader returns undefined for a missing or invalid value; the
// loader then uses the default, and the collected issues decide whether the
// result is thrown away.

import type { ConfigIssue } from './types.js';
import { ConfigError } from './errors.js';
import { closestMatch } from './suggest.js';
import { locateKey } from './toml-locate.js';
import type { TomlTable } from 'smol-toml';

/** Keys, with array indices as numbers. */
export type KeyPath = readonly (string | number)[];

/** `targets."my.lib".sources[2]`: what a user would search their file for. */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      if (out) out += '.';
      out += /^[A-Za-z0-9_-]+$/.test(seg) ? seg : JSON.stringify(seg);
    }
  }
  return out;
}

export class IssueCollector {
  private readonly issues: ConfigIssue[] = [];

  constructor(
    readonly file: string,
    private readonly text: string,
  ) {}

  /** Records a problem at the place `path` is written (or its nearest written parent). */
  add(path: KeyPath, message: string): void {
    const { line, column } = locateKey(this.text, path.map(String));
    const issue: ConfigIssue = { file: this.file, line, column, message };
    if (path.length > 0) issue.key = formatKeyPath(path);
    this.issues.push(issue);
  }

  get count(): number {
    return this.issues.length;
  }

  /** Throws one ConfigError with every issue, in file order as a compiler lists them. */
  throwIfAny(): void {
    if (this.issues.length === 0) return;
    const sorted = this.issues
      .map((issue, order) => ({ issue, order }))
      .sort(
        (a, b) =>
          (a.issue.line ?? 0) - (b.issue.line ?? 0) ||
          (a.issue.column ?? 0) - (b.issue.column ?? 0) ||
          a.order - b.order,
      )
      .map((x) => x.issue);
    throw new ConfigError(sorted);
  }
}

export function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** "the string \"abc\"", "the float 1.5": how a value is named in a type error. */
export function describeValue(v: unknown): string {
  if (typeof v === 'bigint') return `the integer ${v}`;
  if (typeof v === 'number') return `the float ${Number.isInteger(v) ? v.toFixed(1) : v}`;
  if (typeof v === 'string') {
    const shown = v.length > 40 ? `${v.slice(0, 37)}...` : v;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (v instanceof Date) return 'a date-time';
  if (Array.isArray(v)) return 'an array';
  if (isTable(v)) return 'a table';
  return 'an unsupported value';
}

export interface IntRange {
  min?: number;
  max?: number;
  /** Shown after numbers in range messages, e.g. "ms". */
  unit?: string;
}

/** Typed access to one TOML table, reporting problems against its key path. */
export class TableReader {
  constructor(
    readonly issues: IssueCollector,
    readonly data: TomlTable,
    readonly path: KeyPath,
  ) {}

  has(key: string): boolean {
    return Object.hasOwn(this.data, key);
  }

  keys(): string[] {
    return Object.keys(this.data);
  }

  at(key: string | number): KeyPath {
    return [...this.path, key];
  }

  private typeError(key: string, expected: string): void {
    const v = this.data[key];
    let message = `${formatKeyPath(this.at(key))} must be ${expected}, not ${describeValue(v)}`;
    if (expected === 'an integer' && typeof v === 'number' && Number.isInteger(v)) {
      message += ` (write ${v} without a decimal point)`;
    } else if (
      typeof v === 'string' &&
      ((expected === 'an integer' && /^[+-]?\d+$/.test(v.trim())) ||
        (expected.startsWith('a boolean') && /^(true|false)$/.test(v.trim())))
    ) {
      message += ' (remove the quotes)';
    }
    this.issues.add(this.at(key), message);
  }

  bool(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (typeof v === 'boolean') return v;
    this.typeError(key, 'a boolean (true or false)');
    return undefined;
  }

  int(key: string, range: IntRange = {}): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (typeof v !== 'bigint') {
      this.typeError(key, 'an integer');
      return undefined;
    }
    const name = formatKeyPath(this.at(key));
    const unit = range.unit ? ` ${range.unit}` : '';
    if (range.min !== undefined && v < BigInt(range.min)) {
      const between = range.max !== undefined ? `between ${range.min} and ${range.max}` : `at least ${range.min}`;
      this.issues.add(this.at(key), `${name} must be ${between}${unit}, not ${v}`);
      return undefined;
    }
    const max = range.max ?? Number.MAX_SAFE_INTEGER;
    if (v > BigInt(max)) {
      const between = range.min !== undefined ? `between ${range.min} and ${max}` : `at most ${max}`;
      this.issues.add(this.at(key), `${name} must be ${between}${unit}, not ${v}`);
      return undefined;
    }
    return Number(v);
  }

  string(key: string, opts: { nonEmpty?: boolean } = {}): string | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (typeof v !== 'string') {
      this.typeError(key, 'a string');
      return undefined;
    }
    if (opts.nonEmpty && v.trim() === '') {
      this.issues.add(this.at(key), `${formatKeyPath(this.at(key))} must not be empty`);
      return undefined;
    }
    return v;
  }

  /**
   * An array of strings; each bad element is its own issue, pinned to that element.
   * `check` returns what is wrong with an element (the key is prefixed), or null.
   */
  stringArray(
    key: string,
    opts: { nonEmptyItems?: boolean; check?: (item: string) => string | null } = {},
  ): string[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (!Array.isArray(v)) {
      this.typeError(key, 'an array of strings');
      return undefined;
    }
    let ok = true;
    v.forEach((item, i) => {
      const where = this.at(key).concat(i);
      if (typeof item !== 'string') {
        this.issues.add(where, `${formatKeyPath(where)} must be a string, not ${describeValue(item)}`);
        ok = false;
      } else if (opts.nonEmptyItems && item.trim() === '') {
        this.issues.add(where, `${formatKeyPath(where)} must not be an empty string`);
        ok = false;
      } else {
        const problem = opts.check?.(item) ?? null;
        if (problem !== null) {
          this.issues.add(where, `${formatKeyPath(where)}: ${problem}`);
          ok = false;
        }
      }
    });
    return ok ? (v as string[]) : undefined;
  }

  /** A sub-table; absent → undefined silently, present but not a table → issue. */
  table(key: string): TableReader | undefined {
    if (!this.has(key)) return undefined;
    const v = this.data[key];
    if (!isTable(v)) {
      this.typeError(key, 'a table');
      return undefined;
    }
    return new TableReader(this.issues, v, this.at(key));
  }

  /** Reports every key not in `known`, suggesting the one it most likely meant. */
  rejectUnknown(known: readonly string[]): void {
    for (const key of this.keys()) {
      if (known.includes(key)) continue;
      const where = this.at(key);
      const isTbl = isTable(this.data[key]);
      const shown = isTbl ? `table [${formatKeyPath(where)}]` : `key "${formatKeyPath(where)}"`;
      const guess = closestMatch(key, known);
      let hint: string;
      if (guess !== null) {
        const meant = formatKeyPath(this.at(guess));
        hint = isTbl ? ` (did you mean [${meant}]?)` : ` (did you mean "${meant}"?)`;
      } else {
        hint = known.length > 0 ? ` (known keys here: ${known.join(', ')})` : '';
      }
      this.issues.add(where, `unknown ${shown}${hint}`);
    }
  }
}
