import { accessSync, constants, statSync } from 'node:fs';
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

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a command the way a shell would: a name with a slash is a path
 *  (relative to cwd), anything else is looked up on PATH. Null when not found. */
export function findOnPath(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string | null {
  const cwd = opts.cwd ?? process.cwd();
  if (command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(cwd, command);
    return isExecutableFile(p) ? p : null;
  }
  for (const dir of ((opts.env ?? process.env).PATH ?? '').split(delimiter)) {
    // An empty PATH entry means the current directory, as in POSIX shells.
    const p = resolve(cwd, dir === '' ? '.' : dir, command);
    if (isExecutableFile(p)) return p;
  }
  return null;
}
