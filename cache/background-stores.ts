// Stores that run after their compile (or link) has answered its caller, so their
// listings and index writes are off the build's critical path (the queue slot, the link
// waiting for this object). Owned by one cache: a later lookup of the same key1 waits for
// its store (pending), statistics reads and flush() wait for all of them (CacheStats
// track), and the daemon's and the in-process CLI's close() flush, so none is lost at
// exit. Disabled (the default, and what the API's callers and tests expect), a compile
// returns once everything is stored.

import type { CacheStats } from './stats.js';
import { nextTurn } from './next-turn.js';

export class BackgroundStores {
  /** Stores still running, by key1. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    readonly enabled: boolean,
    private readonly stats: Pick<CacheStats, 'track'>,
    private readonly onError: (e: unknown) => void,
    /** Asked again just before deferred work runs: the build that queued it has answered,
     *  and its directory may have been swapped since (cache-guard.ts); false drops the work. */
    private readonly stillUsable: () => boolean = () => true,
  ) {}

  private guarded(work: () => Promise<void>): () => Promise<void> {
    return () => (this.stillUsable() ? work() : Promise.resolve());
  }

  /** The store of `key` still running, if any: part of what a lookup of it must see. */
  pending(key: string): Promise<void> | undefined {
    return this.running.get(key);
  }

  /** Runs `work` now (disabled) or after the answer, chained per key: two stores of one
   *  manifest must not read-modify-write it at once. Its errors go to onError. */
  async run(key: string, work: () => Promise<void>): Promise<void> {
    if (!this.enabled) {
      await work().catch(this.onError);
      return;
    }
    const before = this.running.get(key) ?? Promise.resolve();
    const done: Promise<void> = before
      // A macrotask later: the answer goes out first. Started at once, the work's
      // synchronous stretches would run among the answer's own continuations.
      .then(nextTurn)
      .then(this.guarded(work))
      .catch(this.onError)
      .finally(() => {
        if (this.running.get(key) === done) this.running.delete(key);
      });
    this.running.set(key, done);
    this.stats.track(done);
  }

  /** Runs `work`, which must not reject, now or after the answer (unkeyed: a link). */
  async later(work: () => Promise<void>): Promise<void> {
    if (!this.enabled) return work();
    this.stats.track(nextTurn().then(this.guarded(work)));
  }
}
