// compile_commands.json at the project root, the JSON compilation database clangd,
// VSCode's C/C++ extension and clang-tidy look for there: one entry per TU of every
// target, with the very argv the compile runner executes (the configured compiler,
// the final object and depfile names in place of the runner's temp ones). Written
// atomically, and only when its content would change: a build that changes no
// command leaves the file (and the editors watching it) alone.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../fs/atomic-write.js';
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
  const out: CompileCommandEntry[] = [];
  for (const t of config.targets) {
    const seen = new Set<string>();
    for (const source of t.sources) {
      const job = compileJobFor(config, t, source);
      if (seen.has(job.object)) continue;
      seen.add(job.object);
      out.push({ directory: job.cwd, file: job.source, arguments: compileCommandArgv(job), output: job.object });
    }
  }
  return out;
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
    const text = `${JSON.stringify(compileCommandEntries(config), null, 2)}\n`;
    const digest = digestOf(text);
    if (unmoved && this.last!.digest === digest) {
      this.last = { config, digest, stamp };
      return false;
    }
    if (stamp !== null && readOrNull(this.path) === text) {
      this.last = { config, digest, stamp };
      return false;
    }
    writeFileAtomic(this.path, text);
    this.last = { config, digest, stamp: statStampSync(this.path) };
    return true;
  }
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
