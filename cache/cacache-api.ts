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
    compact(
      cache: string,
      key: string,
      matchFn: (a: CacacheEntry, b: CacacheEntry) => boolean,
      opts?: unknown,
    ): Promise<CacacheEntry[]>;
  };
}

const require = createRequire(import.meta.url);
export const cacache = require('cacache') as CacacheApi;

/** cacache's own error codes for content that does not match its integrity. */
export function isIntegrityError(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EINTEGRITY' || code === 'EBADSIZE';
}

export function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
