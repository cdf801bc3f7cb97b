// Modes of what a project's daemons keep for their owner alone: the token, the
// logs (which name every file and command built) and the build state. Any other
// local user can reach a project under a world-traversable home; these must not
// be readable by them.
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Drop group and other bits of `path` if it has any (keeps the owner's). Symlinks are left alone. */
function tighten(path: string, mode: number, isDir: boolean): void {
  if ((mode & 0o077) === 0) return;
  chmodSync(path, (mode & 0o700) | (isDir ? 0o700 : 0));
}

/**
 * Make `dir` (and missing parents) mode 0700, and take group/other access off what
 * is already in it: directories and files an older version made 0755/0644.
 */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  const walk = (d: string, depth: number) => {
    const st = lstatSync(d);
    tighten(d, st.mode, true);
    if (depth > 4) return; // state/ and daemon_logs/ are flat; bound the walk anyway
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile()) tighten(p, lstatSync(p).mode, false);
    }
  };
  walk(dir, 0);
}
