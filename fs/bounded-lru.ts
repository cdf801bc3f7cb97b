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

/** An LRU bounded by `maxSize` as `size` measures each entry (default: 1, a count). */
export function trimmableLru<K extends {}, V extends {}>(maxSize: number, size: (v: V, k: K) => number = one): TrimmableLru<K, V> {
  let overflowed = false;
  const lru = new LRUCache<K, V>({
    maxSize: Math.max(1, maxSize),
    sizeCalculation: (v, k) => Math.max(1, size(v, k)),
    dispose: (_v, _k, reason) => {
      if (reason === 'evict') overflowed = true;
    },
  });
  return Object.assign(lru, {
    dropIfOverflowed(): boolean {
      const was = overflowed;
      overflowed = false;
      if (was) lru.clear();
      return was;
    },
  });
}
