// cacache ships no type declarations, and an ambient `declare module 'cacache'`
// in this directory could clash with one the rest of the project adds later. So
// the package is loaded through createRequire and typed here, covering only the
// calls the cache makes.

import { createRequire } from 'node:module';

export interface CacacheEntry {
  key: string;
  integrity: string;
  /** Absolute path of the content file. */
  path: string;
  size: number;
  time: number;
  metadata?: unknown;
}

/** One line of an index bucket file, as written. */
export interface RawIndexEntry {
  key: string;
  integrity: string | null;
  size?: number;
  time: number;
  metadata?: unknown;
}

export interface CacacheGetResult {
  data: Buffer;
  integrity: string;
  size: number;
  metadata?: unknown;
}

interface CacacheApi {
  get: ((cache: string, key: string, opts?: { memoize?: boolean }) => Promise<CacacheGetResult>) & {
    info(cache: string, key: string): Promise<CacacheEntry | null>;
    /** Reads content by integrity and checks it (EINTEGRITY / EBADSIZE when it does not match). */
    byDigest(cache: string, integrity: string): Promise<Buffer>;
  };
  put(cache: string, key: string, data: Buffer | string, opts?: { metadata?: unknown; memoize?: boolean }): Promise<string>;
  rm: {
    entry(cache: string, key: string, opts?: { removeFully?: boolean }): Promise<unknown>;
    content(cache: string, integrity: string): Promise<unknown>;
    all(cache: string): Promise<unknown>;
  };
  ls(cache: string): Promise<Record<string, CacacheEntry>>;
  index: {
    /** Every line of one bucket file whose checksum holds, oldest first; an entry with
     *  a null integrity is a removal. */
    bucketEntries(bucket: string): Promise<RawIndexEntry[]>;
    /** Where content of this integrity lives (its strongest digest). */
    contentPath(cache: string, integrity: string): string;
    compact(
      cache: string,
      key: string,
      matchFn: (a: CacacheEntry, b: CacacheEntry) => boolean,
      opts?: unknown,
    ): Promise<CacacheEntry[]>;
  };
}

const require = createRequire(import.meta.url);

/** One of cacache's parts (its lib/ files, which its index.js only gathers), loaded on
 *  first use. index.js loads them all, rm and verify with glob among them: 3.8 MB of RSS
 *  in each daemon that loads the cache, against 3.1 MB for get and put, all a build
 *  uses (measured under --lite-mode). The version is pinned, and the parts' exports are
 *  the very functions index.js re-exports under the names below. */
function part<T>(file: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(`cacache/lib/${file}`) as T);
}
const getPart = part<CacacheApi['get']>('get.js');
const putPart = part<CacacheApi['put']>('put.js');
const rmPart = part<CacacheApi['rm']>('rm.js');
const indexPart = part<{ ls: CacacheApi['ls'] } & Omit<CacacheApi['index'], 'contentPath'>>('entry-index.js');
const contentPathPart = part<CacacheApi['index']['contentPath']>('content/path.js');

export const cacache: CacacheApi = {
  get: Object.assign((cache: string, key: string, opts?: { memoize?: boolean }) => getPart()(cache, key, opts), {
    info: (cache: string, key: string) => getPart().info(cache, key),
    byDigest: (cache: string, integrity: string) => getPart().byDigest(cache, integrity),
  }),
  put: (cache, key, data, opts) => putPart()(cache, key, data, opts),
  rm: {
    entry: (cache, key, opts) => rmPart().entry(cache, key, opts),
    content: (cache, integrity) => rmPart().content(cache, integrity),
    all: (cache) => rmPart().all(cache),
  },
  ls: (cache) => indexPart().ls(cache),
  index: {
    compact: (cache, key, matchFn, opts) => indexPart().compact(cache, key, matchFn, opts),
    bucketEntries: (bucket) => indexPart().bucketEntries(bucket),
    contentPath: (cache, integrity) => contentPathPart()(cache, integrity),
  },
};

/** cacache's own error codes for content that does not match its integrity. */
export function isIntegrityError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EINTEGRITY' || code === 'EBADSIZE';
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
