// Stats shared by the direct-mode checks of one build. A clean rebuild from a warm
// cache checks every TU's manifest entry, and the TUs of a project read mostly the
// same headers (the standard library's, the project's own): statting each of them
// once per build instead of once per TU is most of a hit's work saved.
//
// A stat reused from earlier in the build is older than the compile it vouches for,
// so a header written between that stat and the compile could be missed. The hit
// says so (CompileResult.inputs_checked_ms, the time the build's first stat was
// taken), and the orchestrator records any header changed since then as unknown
// (hash ""), exactly as it does for a header that changed while a compiler ran: the
// next build looks at that TU again. So no build can keep an object made from
// content older than what its record vouches for.

import type { QuickStat } from '../fs/quick-stat.js';

export interface BuildStats {
  /** Absolute path → its stat (null: nothing there), as first taken in this build. */
  readonly stats: Map<string, QuickStat | null>;
  /** Date.now() before the first of these stats was taken. */
  readonly sinceMs: number;
  /** Working directory → header record → whether that stat shows its stamp: manifests
   *  share one record instance per distinct header (shared-records.ts), so each TU's
   *  check of a header an earlier TU had is one lookup. A function of the stat above. */
  readonly stamps: Map<string, Map<object, boolean | null>>;
}

/** Builds whose stats are kept: the latest only (builds of a project are queued one after
 *  another; a late job of an older one just stats afresh). The map of a 20,000-TU build
 *  holds every header once, so it is not kept past the next build. */
const KEPT_BUILDS = 1;

export class BuildStatMemo {
  private readonly builds = new Map<string, BuildStats>();

  /** The daemon went quiet: no job of a build that ended will come, so nothing is kept
   *  (at 20,000 TUs, a stat and a verdict for every header). */
  clear(): void {
    this.builds.clear();
  }

  /** The shared stats of `buildId`'s build; a job without a build id shares nothing. */
  forBuild(buildId: string | undefined, nowMs = Date.now()): BuildStats {
    if (!buildId) return { stats: new Map(), sinceMs: nowMs, stamps: new Map() };
    let b = this.builds.get(buildId);
    if (!b) {
      b = { stats: new Map(), sinceMs: nowMs, stamps: new Map() };
      this.builds.set(buildId, b);
      for (const old of this.builds.keys()) {
        if (this.builds.size <= KEPT_BUILDS) break;
        this.builds.delete(old);
      }
    }
    return b;
  }
}
