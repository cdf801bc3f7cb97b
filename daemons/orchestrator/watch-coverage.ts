// Which paths the discovery journal vouches for. Discovery says what it watches (the
// scope in its changes answer) and the same WatchScope judges a path here, so the two
// cannot disagree about a file; on top of that, a path reached through a symlink is
// never vouched for: whether and under which name the watcher reports changes behind
// a link (to a dir outside, to ".." or to the root, which discovery does not follow)
// is not something a no-op build should bet on. Such paths, like every path outside the
// roots (an include dir around the project, a root dropped while the config was invalid,
// the compiler's own dirs), are looked at by the orchestrator itself.
import { realpathSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { WatchedScope } from '../../protocol/discovery.js';
import { WatchScope } from '../common/watch-scope.js';

export class WatchCoverage {
  private readonly scope: WatchScope;
  /** Directory → whether it is reached without a symlink below its root. */
  private readonly plainDirs = new Map<string, boolean>();
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

  /** Answers so far, by path as asked: the planner asks of every TU's headers, and the
   *  journal point again, and most headers are shared (one build's instance: a path's
   *  answer does not change while it lasts, as plainDirs does not). */
  private readonly answers = new Map<string, boolean>();

  /** Whether discovery watches `path` (relative to the project root, or absolute). */
  covers(path: string): boolean {
    let ok = this.answers.get(path);
    if (ok === undefined) this.answers.set(path, (ok = this.coversNow(path)));
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
