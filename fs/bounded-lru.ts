// An LRU bounded by entry count that allocates nothing up front. lru-cache's `max`
// makes it allocate and fill arrays of that length when constructed: at the bounds
// used here (tens of thousands) that is ~15 ms and a garbage collection on every CLI
// run that builds in-process, whether the cache is then used or not. Bounded by
// `maxSize` with every entry counting 1, its storage grows with use instead.
import { LRUCache } from 'lru-cache';

const one = () => 1;

export function boundedLru<K extends {}, V extends {}>(entries: number): LRUCache<K, V> {
  return new LRUCache<K, V>({ maxSize: Math.max(1, entries), sizeCalculation: one });
}
