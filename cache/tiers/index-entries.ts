// The local tier's index, one bucket file at a time. cacache.ls reads every bucket
// at once (many in parallel) and gathers all entries in one object before it returns:
// at 20,000 TUs that is some 60,000 entries, their texts and the stream's buffers
// alive together in the compilation daemon, on top of whatever a build holds. Walking
// bucket by bucket holds one bucket's lines at a time, and the caller keeps only what
// it needs of each entry.

import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { cacache, isNotFound, type CacacheEntry } from '../cacache-api.js';

async function names(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}

/** Every live entry of the store's index, as cacache.ls gives them (the newest line
 *  of each key; a removed key not at all), one bucket file read at a time. */
export async function* indexEntries(storeDir: string): AsyncGenerator<CacacheEntry> {
  const root = join(storeDir, 'index-v5');
  for (const a of await names(root)) {
    for (const b of await names(join(root, a))) {
      const dir = join(root, a, b);
      for (const file of await names(dir)) {
        let lines;
        try {
          lines = await cacache.index.bucketEntries(join(dir, file));
        } catch (e) {
          if (isNotFound(e)) continue; // removed since the listing
          throw e;
        }
        // Keys of one bucket share a hash: almost always one key, its last line wins.
        const newest = new Map<string, (typeof lines)[number]>();
        for (const l of lines) newest.set(l.key, l);
        for (const l of newest.values()) {
          if (!l.integrity) continue;
          yield { key: l.key, integrity: l.integrity, path: cacache.index.contentPath(storeDir, l.integrity), size: l.size ?? 0, time: l.time, metadata: l.metadata };
        }
      }
    }
  }
}
