import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { delimiter, isAbsolute, resolve } from 'node:path';

/**
 * The C++ compiler to use when replibuild.toml names none: $CXX as make does, else
 * g++, else clang++. Found by scanning PATH rather than running anything, because
 * this runs on every config load, in-process in the CLI, and must stay instant.
 * When neither is installed, clang++ is returned anyway so the first compile fails
 * with a message that names the missing command.
 */
export function detectCxx(env: NodeJS.ProcessEnv = process.env): string {
  return detect('CXX', 'g++', 'clang++', env);
}

/** The C compiler when replibuild.toml names none, found as detectCxx finds the C++ one:
 *  $CC, else gcc, else clang. */
export function detectCc(env: NodeJS.ProcessEnv = process.env): string {
  return detect('CC', 'gcc', 'clang', env);
}

function detect(variable: string, first: string, second: string, env: NodeJS.ProcessEnv): string {
  const fromEnv = env[variable]?.trim();
  if (fromEnv) return fromEnv;
  return findOnPath(first, { env }) ? first : second;
}

/** The stat of `p` when it is an executable regular file, else null. */
function executableFile(p: string): Stats | null {
  try {
    // Not thrown for a missing entry: a compile daemon resolves the compiler per job,
    // past every PATH dir without it, and a thrown error costs more than the stat.
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st?.isFile()) return null;
    accessSync(p, constants.X_OK);
    return st;
  } catch {
    return null;
  }
}

/** Resolves a command the way a shell would: a name with a slash is a path
 *  (relative to cwd), anything else is looked up on PATH. Null when not found. */
export function findOnPath(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string | null {
  return locateOnPath(command, opts)?.path ?? null;
}

/** findOnPath, with the stat that found the file (so a caller that stats it anyway need not again). */
export function locateOnPath(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { path: string; stats: Stats } | null {
  const cwd = opts.cwd ?? process.cwd();
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(cwd, command);
    const stats = executableFile(p);
    return stats ? { path: p, stats } : null;
  }
  for (const dir of ((opts.env ?? process.env).PATH ?? '').split(delimiter)) {
    // An empty PATH entry means the current directory, as in POSIX shells.
    const p = resolve(cwd, dir === '' ? '.' : dir, command);
    const stats = executableFile(p);
    if (stats) return { path: p, stats };
  }
  return null;
}
