// Where the compile cache lives, and making sure nobody else can write into it.
// The cache hands out object files that get linked into programs, so a cache
// directory another user can write to would let that user inject code into our
// builds (sccache #1435 / #845). We refuse such a directory instead of using it.
//
// The check is made on the real path with lstat: the parent is resolved once, and
// the cache directory and its sub-directories must each be a directory (a symlink
// is refused, not followed) owned by us and closed to everyone else. A component
// someone swaps after the daemons opened the cache (a symlink planted where the
// directory was) is caught by checkCacheDirSync, which the cache runs again at each
// build's first access (cache-guard.ts).

import { chmodSync, lstatSync, mkdirSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

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

const codeOf = (e: unknown) => (e as NodeJS.ErrnoException).code ?? String(e);

const FIX = `Remove it (or fix its owner and mode), or set ${CACHE_DIR_ENV} to a directory of your own.`;

/**
 * lstat-checks one directory: a directory, not a symlink, owned by us, and not open
 * to others: with `tighten`, group/other bits are removed (our own directory made
 * looser); without it, only group/other write is refused.
 */
function checkDir(dir: string, opts: { tighten: boolean }): void {
  let st;
  try {
    st = lstatSync(dir);
  } catch (e) {
    throw new CacheDirError(dir, `compile cache directory ${dir} cannot be checked: ${codeOf(e)}. ${FIX}`);
  }
  if (st.isSymbolicLink()) {
    throw new CacheDirError(dir, `compile cache path ${dir} is a symbolic link; refusing to follow it, since whoever controls it could plant objects in your builds. ${FIX}`);
  }
  if (!st.isDirectory()) throw new CacheDirError(dir, `compile cache path ${dir} exists and is not a directory. ${FIX}`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new CacheDirError(
      dir,
      `compile cache directory ${dir} is owned by uid ${st.uid}, not by you (uid ${uid}); ` +
        `refusing to use it, since its owner could plant objects in your builds. ${FIX}`,
    );
  }
  const open = st.mode & (opts.tighten ? 0o077 : 0o022);
  if (open === 0) return;
  if (opts.tighten) {
    try {
      chmodSync(dir, 0o700);
      return;
    } catch (e) {
      throw new CacheDirError(dir, `compile cache directory ${dir} is accessible to other users (mode ${(st.mode & 0o777).toString(8)}) and chmod 700 failed: ${codeOf(e)}.`);
    }
  }
  throw new CacheDirError(dir, `${dir}, a parent of the compile cache, is writable by other users (mode ${(st.mode & 0o777).toString(8)}). ${FIX}`);
}

function makeDir(dir: string, recursive: boolean): string | undefined {
  try {
    return mkdirSync(dir, { recursive, mode: 0o700 });
  } catch (e) {
    if (!recursive && codeOf(e) === 'EEXIST') return undefined;
    throw new CacheDirError(dir, `cannot create the compile cache directory ${dir}: ${codeOf(e)}. Set ${CACHE_DIR_ENV} to a directory you own.`);
  }
}

/** What checkCacheDirSync checks again at each build: the directories and the private parents. */
export interface CheckedCacheDir {
  layout: CacheLayout;
  /** Parents replibuild made (or owns, ~/.replibuild): they must stay ours and closed to writers. */
  parents: string[];
}

/**
 * Creates (mode 0700) or checks the cache root and its sub-directories, on the real
 * path of its parent, tightening a looser mode of our own directory to 0700. Throws
 * CacheDirError for a symlink, a directory owned by another user, or a path that is
 * not a directory. Synchronous: a handful of system calls, run at each build's first
 * cache access.
 */
export function checkCacheDirSync(dir: string = defaultCacheDir(), known: string[] = []): CheckedCacheDir {
  const given = resolve(dir);
  const created = makeDir(given, true);
  let parent: string;
  try {
    parent = realpathSync(dirname(given));
  } catch (e) {
    throw new CacheDirError(given, `cannot resolve the parent of the compile cache directory ${given}: ${codeOf(e)}.`);
  }
  const root = join(parent, basename(given));
  const layout = cacheLayout(root);
  // The parents mkdir made just now (mode 0700, ours), and ~/.replibuild when it is the default place.
  const parents = new Set(known);
  if (created !== undefined) {
    for (let d = dirname(given); d.length >= created.length && d !== dirname(d); d = dirname(d)) parents.add(d);
  }
  const home = join(homedir(), '.replibuild');
  if (given === join(home, 'cache')) parents.add(home);
  for (const p of parents) checkDir(p, { tighten: false });
  checkDir(root, { tighten: true });
  for (const sub of [layout.store, layout.stats]) {
    makeDir(sub, false);
    checkDir(sub, { tighten: true });
  }
  return { layout, parents: [...parents] };
}

/** checkCacheDirSync's layout, for callers that open the cache once (the CLI's cache commands). */
export async function ensureCacheDir(dir: string = defaultCacheDir()): Promise<CacheLayout> {
  return checkCacheDirSync(dir).layout;
}
