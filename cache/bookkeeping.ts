// What the compile cache counts and logs about each compile: hits, misses, what was not
// stored and why, and its own failures, which must never fail a build.

import type { CompileResult } from '../protocol/build.js';
import type { CacheGuard } from './cache-guard.js';
import type { CacheStats } from './stats.js';

/** Why something was not stored: `reason` is a counter key, `detail` is for the log. */
export interface NotStored {
  reason: string;
  detail: string;
}

export class Bookkeeping {
  constructor(
    readonly stats: CacheStats,
    readonly log: (line: string) => void,
    private readonly guard: Pick<CacheGuard, 'storeFailed'>,
  ) {}

  hit(kind: 'direct' | 'preprocessed', ms: number): void {
    this.stats.hit(kind, ms);
  }

  /** A compile the cache did not answer; a failed one is counted as such too. */
  miss(r: CompileResult, t0: number, why: string): void {
    this.stats.miss(Math.round(performance.now() - t0));
    if (r.outcome !== 'compiled') this.stats.compileFailed();
    this.log(`cache: ${why}`);
  }

  uncacheable(reason: string, logLine?: string): void {
    this.stats.uncacheable(reason);
    if (logLine !== undefined) this.log(`cache: ${logLine}`);
  }

  /** A result not stored; logged when `source` is given. Returns null (a "nothing to add"). */
  notStored(why: NotStored, source?: string): null {
    this.stats.notStored(why.reason);
    if (source !== undefined) this.log(`cache: not storing ${source}: ${why.detail}`);
    return null;
  }

  /** A failure of the cache itself: counted (the compile goes on without the cache). */
  internalError(e: unknown): void {
    // A full or read-only cache is not a fault of the cache: the user is told (guard.note()).
    if (this.guard.storeFailed(e)) {
      this.stats.notStored('cache not writable');
      this.log(`cache: not stored: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.stats.error();
    this.log(`cache: internal error: ${e instanceof Error ? e.message : String(e)}`);
  }
}
