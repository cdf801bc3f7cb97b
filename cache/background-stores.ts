// Stores that run after their compile (or link) has answered its caller, so their
// listings and index writes are off the build's critical path (the queue slot, the link
// waiting for this object). Owned by one cache: a later lookup of the same key1 waits for
// its store (pending), statistics reads and flush() wait for all of them (CacheStats
// track), and the daemon's and the in-process CLI's close() flush, so none is lost at
// exit. Disabled (the default, and what the API's callers and tests expect), a compile
// returns once everything is stored.
//
// With `holdBytes`, a store also waits until fewer compiles than cores are in flight
// (compile-activity.ts): during a cold build on as many jobs as cores, its CPU would be
// taken from a compiler; at the build's tail it runs on the spare core, beside the link. What waits is bounded: past holdBytes
// of held objects, or MAX_HELD stores, the oldest store runs at once. A lookup of a held
// key (pending) and a flush run it at once too.

import type { CacheStats } from './stats.js';
import { nextTurn } from './next-turn.js';
import { compilesInFlight, CORES, whenQuiet } from './compile-activity.js';

/** Held stores at most, whatever their bytes: each also keeps its job, header list,
 *  search list and closures (~8 KB measured for a tiny TU; a few KB more for a TU with
 *  hundreds of headers). A cold build longer than this runs one store per compile
 *  whatever the bound (the oldest is released as each new one is held), so the bound
 *  only says how many wait for the tail: 1000 held 8 MB of the compilation daemon's
 *  peak through a 5,000-TU cold build. */
const MAX_HELD = 250;

interface Held {
  key: string | null;
  bytes: number;
  release(): void;
}

export class BackgroundStores {
  /** Stores still running, by key1. */
  private readonly running = new Map<string, Promise<void>>();
  /** Stores waiting for the quiet, oldest first. */
  private readonly held = new Set<Held>();
  private heldBytes = 0;
  /** Keys a lookup waits for, and flushes in progress: their stores wait for no quiet. */
  private readonly hurried = new Set<string>();
  private hurryingAll = 0;
  private unwait: (() => void) | null = null;

  constructor(
    readonly enabled: boolean,
    private readonly stats: Pick<CacheStats, 'track'>,
    private readonly onError: (e: unknown) => void,
    /** Asked again just before deferred work runs: the build that queued it has answered,
     *  and its directory may have been swapped since (cache-guard.ts); false drops the work. */
    private readonly stillUsable: () => boolean = () => true,
    /** Bytes of held stores' objects kept waiting for the quiet; 0: none waits for it. */
    private readonly holdBytes = 0,
  ) {}

  private guarded(work: () => Promise<void>): () => Promise<void> {
    return () => (this.stillUsable() ? work() : Promise.resolve());
  }

  /** The store of `key` still running, if any: part of what a lookup of it must see.
   *  A store of it still waiting for the quiet runs now. */
  pending(key: string): Promise<void> | undefined {
    const p = this.running.get(key);
    if (!p) return undefined;
    this.hurried.add(key);
    for (const h of this.held) if (h.key === key) h.release();
    return p;
  }

  /** Runs every held store now, and lets none wait until `done` settles (a flush). */
  async hurry<T>(done: () => Promise<T>): Promise<T> {
    this.hurryingAll++;
    try {
      this.releaseAll();
      return await done();
    } finally {
      this.hurryingAll--;
    }
  }

  /** Held stores right now (for tests and status). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Runs `work` now (disabled) or after the answer, chained per key: two stores of one
   *  manifest must not read-modify-write it at once. Its errors go to onError. `bytes`:
   *  what the work keeps in memory while it waits (the object). */
  async run(key: string, work: () => Promise<void>, bytes = 0): Promise<void> {
    if (!this.enabled) {
      await work().catch(this.onError);
      return;
    }
    const before = this.running.get(key) ?? Promise.resolve();
    const done: Promise<void> = before
      // A macrotask later: the answer goes out first. Started at once, the work's
      // synchronous stretches would run among the answer's own continuations.
      .then(nextTurn)
      .then(() => this.quiet(key, bytes))
      .then(this.guarded(work))
      .catch(this.onError)
      .finally(() => {
        if (this.running.get(key) === done) {
          this.running.delete(key);
          this.hurried.delete(key);
        }
      });
    this.running.set(key, done);
    this.stats.track(done);
  }

  /** Runs `work`, which must not reject, now or after the answer (unkeyed: a link). */
  async later(work: () => Promise<void>): Promise<void> {
    if (!this.enabled) return work();
    this.stats.track(nextTurn().then(() => this.quiet(null, 0)).then(this.guarded(work)));
  }

  /** Resolves once a core is spare (compile-activity.ts), or at once when this store may not wait. */
  private quiet(key: string | null, bytes: number): Promise<void> {
    if (this.holdBytes <= 0 || this.hurryingAll > 0 || (key !== null && this.hurried.has(key))) return Promise.resolve();
    return new Promise((resolve) => {
      const h: Held = {
        key,
        bytes,
        release: () => {
          if (!this.held.delete(h)) return;
          this.heldBytes -= bytes;
          if (this.held.size === 0) this.stopWaiting();
          resolve();
        },
      };
      this.held.add(h);
      this.heldBytes += bytes;
      // Bounded: the oldest held stores run now, during the build.
      // (A Set may lose its visited entries while iterated: no copy of 250 per store.)
      for (const old of this.held) {
        if (this.heldBytes <= this.holdBytes && this.held.size <= MAX_HELD) break;
        old.release();
      }
      if (!this.held.has(h)) return;
      this.waitForQuiet();
    });
  }

  private waitForQuiet(): void {
    this.unwait ??= whenQuiet(() => {
      this.unwait = null;
      this.releaseOneByOne();
    });
  }

  /** One store per turn of the event loop, oldest first, while a core stays spare: all
   *  at once, their synchronous stretches would hold up the start of the next compile
   *  (and the answers) for as long as they all take. */
  private releaseOneByOne(): void {
    const next = this.held.values().next();
    if (next.done) return;
    next.value.release();
    if (this.held.size === 0) return;
    setImmediate(() => {
      if (this.unwait || this.held.size === 0) return;
      if (compilesInFlight() < CORES) this.releaseOneByOne();
      else this.waitForQuiet();
    });
  }

  private releaseAll(): void {
    for (const h of [...this.held]) h.release();
  }

  private stopWaiting(): void {
    this.unwait?.();
    this.unwait = null;
  }
}
