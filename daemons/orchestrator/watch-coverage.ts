// Which paths the discovery journal vouches for. Discovery says what it watches (the
// scope in its changes answer) and the same WatchScope judges a path here, so the two
// cannot disagree about a file; on top of that, a path reached through a symlink is
// never vouched for: whether and under which name the watcher reports changes behind
// a link (to a dir outside, to ".." or to the root, which discovery does not follow)
// is not something a no-op build should bet on. Such paths, like every path outside the
// roots (an include dir around the project, a root dropped while the config was invalid,
// the compiler's own dirs), are looked at by the orchestrator itself.
import { realpathSync } from 'node:fs';
import { setImmediate } from 'node:timers/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { WatchedScope } from '../../protocol/discovery.js';
import { WatchScope } from '../common/watch-scope.js';

/** Paths warmSources() judges per event-loop turn: a few ms, what a request arriving then waits. */
const WARM_SLICE = 256;

export class WatchCoverage {
  private readonly scope: WatchScope;
  /** Directory → whether it is reached without a symlink below its root. */
  private readonly plainDirs = new Map<string, boolean>();
  private readonly covered = new Map<string, boolean>();
  private readonly realRoots = new Map<string, string | null>();
  /** The journal's keys are relative to discovery's root: another root, and nothing is vouched for. */
  private readonly sameRoot: boolean;
  /** A stable form of the scope: a journal point holds only while it is the same. */
  readonly key: string;

  constructor(
    readonly root: string,
    watched: WatchedScope,
  ) {
    const rootAbs = resolve(root);
    this.sameRoot = watched.roots[0] === rootAbs;
    const extra = this.sameRoot ? watched.roots.slice(1) : [];
    this.scope = new WatchScope({ root: rootAbs, extraRoots: extra, ignored: watched.ignored, buildDir: watched.build_dir });
    this.key = JSON.stringify(this.sameRoot ? watched : null);
  }

  /** Whether discovery watches `path` (relative to the project root, or absolute).
   *  Answered once per path for this coverage (one build): the planner and the journal
   *  point ask about every source and header of the project, each glob-matched. */
  covers(path: string): boolean {
    let ok = this.covered.get(path);
    if (ok === undefined) this.covered.set(path, (ok = this.coversNow(path)));
    return ok;
  }

  private coversNow(path: string): boolean {
    if (!this.sameRoot) return false;
    const abs = resolve(this.scope.root, path);
    if (this.scope.isIgnored(abs)) return false; // outside every root, too
    return this.plain(dirname(abs));
  }

  /** The journal's name for `path`. */
  keyOf(path: string): string {
    return this.scope.toKey(resolve(this.scope.root, path));
  }

  /** Reached without a symlink below its root. A dir that does not exist is judged by its
   *  nearest existing ancestor: discovery sees the dir and its files appear there. */
  private plain(dir: string): boolean {
    let ok = this.plainDirs.get(dir);
    if (ok === undefined) {
      const root = this.scope.rootOf(dir);
      const realRoot = root === null ? null : this.realRoot(root);
      if (root === null || realRoot === null) ok = false;
      else {
        try {
          ok = realpathSync.native(dir) === join(realRoot, relative(root, dir));
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          ok = (code === 'ENOENT' || code === 'ENOTDIR') && dir !== root && this.plain(dirname(dir));
        }
      }
      this.plainDirs.set(dir, ok);
    }
    return ok;
  }

  private realRoot(root: string): string | null {
    let r = this.realRoots.get(root);
    if (r === undefined) {
      try {
        r = realpathSync.native(root);
      } catch {
        r = null;
      }
      this.realRoots.set(root, r);
    }
    return r;
  }
}

/** Answers covers() for the selected targets' sources ahead of need, a slice per
 *  event-loop turn, until the returned stop is called. For a build planned in full: the
 *  journal point it leaves asks about every source (journal-point.ts, unwatchedFacts),
 *  half a second of CPU at 20,000 TUs that the next build, a no-op right after a cold
 *  build, would wait for; asked while the compilers run, it is done by then. */
export function warmSources(coverage: WatchCoverage, targets: readonly { name: string; sources: readonly string[] }[], selected: readonly string[]): () => void {
  let stopped = false;
  void (async () => {
    let n = 0;
    for (const t of targets) {
      if (!selected.includes(t.name)) continue;
      for (const s of t.sources) {
        if (++n % WARM_SLICE === 0) {
          await setImmediate();
          if (stopped) return;
        }
        coverage.covers(s);
      }
    }
  })().catch(() => undefined);
  return () => {
    stopped = true;
  };
}
