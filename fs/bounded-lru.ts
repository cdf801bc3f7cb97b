// An LRU bounded by entry count that allocates nothing up front. lru-cache's `max`
// makes it allocate and fill arrays of that length when constructed: at the bounds
// used here (tens of thousands) that is ~15 ms and a garbage collection on every CLI
// run that builds in-process, whether the cache is then used or not. Bounded by
// `maxSize` with every entry counting 1, its storage grows with use instead.
//
// Memos kept between builds are trimmable: one that had to evict during a build was
// smaller than that build's working set, so what it holds afterwards is the tail of
// a pass over more files than it can keep. The next full build, in the same order,
// evicts each of those before it reaches it, and an edit needs other entries: kept
// idle, such a memo is memory for nothing (about 45 MB in the compilation daemon at
// 20,000 TUs). `dropIfOverflowed` clears it then; a memo that never overflowed (a
// project that fits) keeps everything for the next build.
import { LRUCache } from 'lru-cache';

const one = () => 1;

export function boundedLru<K extends {}, V extends {}>(entries: number): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: Math.max(1, entries), sizeCalculation: one });
}

export interface Trimmable {
  /** Clears the memo when it evicted since the last call; says whether it did. */
  dropIfOverflowed(): boolean;
}

export type TrimmableLru<K extends {}, V extends {}> = LRUCache<K, V> & Trimmable;

/** An LRU bounded by `maxSize` as `size` measures each entry (default: 1, a count).
 *  `window` (same units) is for a memo of per-TU entries, each asked again only
 *  within its own compile (a TU's args, manifest, content location): once such a
 *  memo overflowed, the build is larger than it and what it holds is dead weight for
 *  the rest of that build (and dropped when idle anyway), so until the next
 *  dropIfOverflowed it keeps only the `window` most recent entries. Without this,
 *  every per-TU memo sits full at once through a big cold build (~15 MB of the
 *  compilation daemon's peak at 20,000 TUs). A build that fits fills it as before. */
export function trimmableLru<K extends {}, V extends {}>(maxSize: number, size: (v: V, k: K) => number = one, window?: number): TrimmableLru<K, V> {
  let overflowed = false;
  const lru = new LRUCache<K, V>({
    maxSize: Math.max(1, maxSize),
    sizeCalculation: (v, k) => Math.max(1, size(v, k)),
    dispose: (_v, _k, reason) => {
      if (reason === 'evict') overflowed = true;
    },
  });
  if (window !== undefined) {
    const keep = Math.max(1, window);
    const set = lru.set.bind(lru);
    lru.set = (k, v, o) => {
      set(k, v, o);
      if (overflowed) while (lru.calculatedSize > keep && lru.size > 1) lru.pop();
      return lru;
    };
  }
  return Object.assign(lru, {
    dropIfOverflowed(): boolean {
      const was = overflowed;
      overflowed = false;
      if (was) lru.clear();
      return was;
    },
  });
}
