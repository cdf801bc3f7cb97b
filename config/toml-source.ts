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
    throw new ConfigError([
      { file, line: e.line, column: e.column, message: `TOML syntax error: ${reason}` },
    ]);
  }
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
