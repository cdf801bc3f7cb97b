// Where the compile cache lives, and making sure nobody else can write into it.
// The cache hands out object files that get linked into programs, so a cache
// directory another user can write to would let that user inject code into our
// builds (sccache #1435 / #845). We refuse such a directory instead of using it.

import { chmod, mkdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const CACHE_DIR_ENV = 'REPLIBUILD_CACHE_DIR';

/** Sub-paths of the cache root. */
export interface CacheLayout {
  root: string;
  /** cacache's directory: content-v2/, index-v5/, tmp/. */
  store: string;
  /** stats.json and the per-process delta files. */
  stats: string;
}

export class CacheDirError extends Error {
  constructor(
    readonly dir: string,
    message: string,
  ) {
    super(message);
    this.name = 'CacheDirError';
  }
}

/** REPLIBUILD_CACHE_DIR if set and non-empty (relative paths are taken from the
 *  current directory), else ~/.replibuild/cache. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[CACHE_DIR_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(fromEnv);
  return join(homedir(), '.replibuild', 'cache');
}

export function cacheLayout(root: string): CacheLayout {
  return { root, store: join(root, 'store'), stats: join(root, 'stats') };
}

async function ensurePrivateDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CacheDirError(
      dir,
      `cannot create the compile cache directory ${dir}: ${err.code ?? err.message}. ` +
        `Set ${CACHE_DIR_ENV} to a directory you own.`,
    );
  }
  // stat follows a symlink: what matters is who owns the directory we will write into.
  const st = await stat(dir);
  if (!st.isDirectory()) {
    throw new CacheDirError(dir, `compile cache path ${dir} exists and is not a directory. Remove it or set ${CACHE_DIR_ENV}.`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new CacheDirError(
      dir,
      `compile cache directory ${dir} is owned by uid ${st.uid}, not by you (uid ${uid}); ` +
        `refusing to use it, since its owner could plant objects in your builds. ` +
        `Set ${CACHE_DIR_ENV} to a directory of your own.`,
    );
  }
  if ((st.mode & 0o077) !== 0) {
    try {
      await chmod(dir, 0o700);
    } catch (e) {
      throw new CacheDirError(
        dir,
        `compile cache directory ${dir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)}) ` +
          `and chmod 700 failed: ${(e as NodeJS.ErrnoException).code ?? String(e)}.`,
      );
    }
  }
}

/** Creates (mode 0700) or checks the cache root and its sub-directories, tightening
 *  a looser mode to 0700, and returns the layout. Throws CacheDirError for a
 *  directory owned by another user or a path that is not a directory. */
export async function ensureCacheDir(dir: string = defaultCacheDir()): Promise<CacheLayout> {
  const root = resolve(dir);
  const layout = cacheLayout(root);
  await ensurePrivateDir(root);
  await ensurePrivateDir(layout.store);
  await ensurePrivateDir(layout.stats);
  return layout;
}
