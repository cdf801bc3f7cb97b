import { readFileSync } from 'node:fs';
import { parse, TomlError, type TomlTable } from 'smol-toml';
import { ConfigError } from './errors.js';

export { locateKey, type SourcePosition } from './toml-locate.js';

/** A parsed TOML file with its text kept, so validation can say where a key is. */
export interface TomlSource {
  file: string;
  text: string;
  /** Integers are bigint, floats are number: `port = 9001.0` must be told apart from 9001. */
  data: TomlTable;
}

/** Parses TOML text; a syntax error becomes a ConfigError pinned to its line and column. */
export function parseToml(text: string, file: string): TomlTable {
  try {
    return parse(text, { integersAsBigInt: true });
  } catch (e) {
    if (!(e instanceof TomlError)) throw e;
    // smol-toml appends a code excerpt after a blank line; editors show the line anyway.
    const reason = e.message.split('\n')[0]!.replace(/^Invalid TOML document:\s*/, '');
    const open = unclosedString(text, e.line);
    if (open && /control characters are not allowed in strings|unfinished string/.test(reason)) {
      throw new ConfigError([
        { file, line: e.line, column: open.column, message: `TOML syntax error: the string ${open.quote}${open.start} is not closed: add the closing ${open.quote} on line ${e.line}` },
      ]);
    }
    throw new ConfigError([
      { file, line: e.line, column: e.column, message: `TOML syntax error: ${reason}` },
    ]);
  }
}

/**
 * The one-line string left open on `line` (1-based), if any: smol-toml reports it
 * as the newline being a control character in the string, which reads as if the
 * text had something strange in it rather than a missing quote.
 */
function unclosedString(text: string, line: number): { column: number; quote: string; start: string } | null {
  const s = text.split('\n')[line - 1]?.replace(/\r$/, '');
  if (s === undefined) return null;
  let open: { column: number; quote: string } | null = null;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (open) {
      if (open.quote === '"' && c === '\\') i++;
      else if (c === open.quote) open = null;
    } else if (c === '#') break;
    else if (c === '"' || c === "'") {
      // A multi-line string ("""" or ''') may span lines: not this case.
      if (s.startsWith(c.repeat(3), i)) return null;
      open = { column: i + 1, quote: c };
    }
  }
  if (!open) return null;
  const rest = s.slice(open.column).trimEnd();
  return { ...open, start: rest.length > 20 ? `${rest.slice(0, 20)}…` : rest };
}

/**
 * Reads and parses `file`. Returns null when it does not exist, since both config
 * files have a meaning when absent (defaults, or "not a project"); any other read
 * failure is a ConfigError that says what the OS said.
 */
export function readTomlFile(file: string): TomlSource | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return null;
    const why =
      err.code === 'EACCES' ? 'permission denied'
      : err.code === 'EISDIR' ? 'it is a directory, not a file'
      : err.message;
    throw new ConfigError([
      { file, line: null, column: null, message: `cannot read configuration file: ${why}` },
    ]);
  }
  // Editors on Windows may save a BOM; it is not TOML and would shift column 1.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return { file, text, data: parseToml(text, file) };
}
