// compile_commands.json at the project root, the JSON compilation database clangd,
// VSCode's C/C++ extension and clang-tidy look for there: one entry per TU of every
// target, with the very argv the compile runner executes (the configured compiler,
// the final object and depfile names in place of the runner's temp ones). Written
// atomically, and only when its content would change: a build that changes no
// command leaves the file (and the editors watching it) alone.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { PIECE_CHARS, writePiecesAtomic } from '../../fs/atomic-write.js';
import { statStampSync, sameStamp, type StatStamp } from '../../fs/stat-stamp.js';
import type { ProjectConfig } from '../../config/types.js';
import { COMPILE_COMMANDS_FILE } from '../../config/project-root.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import { compileCommandArgv } from '../../toolchain/compile-runner.js';

export interface CompileCommandEntry {
  directory: string;
  file: string;
  arguments: string[];
  output: string;
}

/** Every TU of every target, in target then source order (a source two targets share
 *  has an entry for each: their commands differ). */
export function compileCommandEntries(config: ProjectConfig): CompileCommandEntry[] {
  return [...eachEntry(config)];
}

function* eachEntry(config: ProjectConfig): Generator<CompileCommandEntry> {
  for (const t of config.targets) {
    const seen = new Set<string>();
    for (const source of t.sources) {
      const job = compileJobFor(config, t, source);
      if (seen.has(job.object)) continue;
      seen.add(job.object);
      yield { directory: job.cwd, file: job.source, arguments: compileCommandArgv(job), output: job.object };
    }
  }
}

// The database is made and written piece by piece (PIECE_CHARS), never whole: at 20,000
// TUs its text is tens of MB, and the entries' objects as many again.

/**
 * The database's text, `JSON.stringify(compileCommandEntries(config), null, 2) + "\n"`,
 * in pieces: each entry is stringified alone and indented as the whole array's would be.
 */
export function* compileCommandsText(config: ProjectConfig): Generator<string> {
  let piece = '';
  let first = true;
  for (const e of eachEntry(config)) {
    piece += `${first ? '[\n' : ',\n'}  ${JSON.stringify(e, null, 2).replace(/\n/g, '\n  ')}`;
    first = false;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}${first ? '[]' : '\n]'}\n`;
}

/** Keeps one project's compile_commands.json in step with its config. */
export class CompileCommandsWriter {
  /** What this writer last wrote or found: the config it came from (the same object
   *  means the same commands: a daemon holds its config until setup says it changed),
   *  a digest of the text (a 20,000-TU database is megabytes, not worth keeping) and
   *  the file's stamp then. */
  private last: { config: ProjectConfig; digest: string; stamp: StatStamp | null } | null = null;

  constructor(private readonly root: string) {}

  get path(): string {
    return join(this.root, COMPILE_COMMANDS_FILE);
  }

  /**
   * Writes the database when `[project] compile_commands` is on and the file does not
   * already hold exactly these commands. Off: the file is neither written nor removed
   * (it may be the user's own). Returns whether it wrote.
   */
  update(config: ProjectConfig): boolean {
    if (!config.compile_commands) return false;
    const stamp = statStampSync(this.path);
    const unmoved = stamp !== null && this.last !== null && sameStamp(stamp, this.last.stamp);
    // The same config and a file nobody touched since: nothing to build the text for.
    if (unmoved && this.last!.config === config) return false;
    // Two passes over the entries when it must be written (a digest, then the file):
    // the text is never held whole.
    const h = createHash('sha256');
    for (const piece of compileCommandsText(config)) h.update(piece);
    const digest = h.digest('hex');
    if (unmoved && this.last!.digest === digest) {
      this.last = { config, digest, stamp };
      return false;
    }
    if (stamp !== null && fileDigestOrNull(this.path) === digest) {
      this.last = { config, digest, stamp };
      return false;
    }
    writePiecesAtomic(this.path, compileCommandsText(config));
    this.last = { config, digest, stamp: statStampSync(this.path) };
    return true;
  }
}

/** sha256 hex of a file's content, read a block at a time; null when unreadable. */
function fileDigestOrNull(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const h = createHash('sha256');
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    return h.digest('hex');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
