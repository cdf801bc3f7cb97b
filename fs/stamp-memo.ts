// A value remembered per path and trusted while the path's stamp is the one it was
// taken at: the shape of every "hash (or listing) by stat" cache. The racy rule decides
// what may be remembered at all; lru-cache bounds how much.

import type { LRUCache } from 'lru-cache';
import { isRacyTime } from './racy.js';
import { boundedLru } from './bounded-lru.js';

export class StampMemo<V extends {}> {
  private readonly memo: LRUCache<string, { stamp: string; value: V }>;

  constructor(
    /** Racy window (racy.ts): a stamp this young at the time of reading is not remembered. */
    private readonly windowMs: number,
    max: number,
  ) {
    this.memo = boundedLru(max);
  }

  /** What was remembered for `path` at `stamp` (stampKeyOf / stampKey); undefined when
   *  nothing was, or the stamp moved since. */
  get(path: string, stamp: string): V | undefined {
    const e = this.memo.get(path);
    return e !== undefined && e.stamp === stamp ? e.value : undefined;
  }

  /** Remembers `value` for `path` at `stamp`, unless the file's newest timestamp
   *  (`newestMs`) is within the racy window of `readAtMs` (when the value was read). */
  remember(path: string, stamp: string, value: V, newestMs: number, readAtMs: number): void {
    if (isRacyTime(newestMs, readAtMs, this.windowMs)) this.memo.delete(path);
    else this.memo.set(path, { stamp, value });
  }

  delete(path: string): void {
    this.memo.delete(path);
  }

  clear(): void {
    this.memo.clear();
  }

  get size(): number {
    return this.memo.size;
  }
}
