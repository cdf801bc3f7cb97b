// What an authenticated request may touch. The token proves only that the caller
// can read a file of the owner's; a request is still held to what the project's
// config names: the project, its include dirs and sources (wherever they lie), the
// build dir and the compile cache. Containment is judged on real paths, so a symlink inside
// the project that points at /etc opens nothing, while a configured include dir
// that is itself a symlink (or lies outside) is allowed: the config names it.
//
// The config is taken from setup and followed: a request the current view refuses
// is judged again against a fresh one before it is refused, so an include dir just
// added to replibuild.toml is allowed without a restart.

import { lstatSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ProjectConfig } from '../../config/types.js';
import type { SetupApi } from '../../protocol/setup.js';
import { allProfiles } from '../../config/profiles.js';
import { isWithin } from './watch-scope.js';

/**
 * The real path of `abs` (absolute, normalized): symlinks resolved in the part that
 * exists, the rest appended as named. Null when an existing entry cannot be resolved
 * (a dangling or looping symlink, a directory we may not search): where it leads is
 * unknown, so nothing may be allowed through it. `resolved` carries what one moment's
 * calls found existing (an object and its depfile share their directory's realpath).
 */
export function realPathOfExisting(abs: string, resolved?: Map<string, string | null>): string | null {
  const tail: string[] = [];
  let head = abs;
  for (;;) {
    const known = resolved?.get(head);
    if (known !== undefined) return known === null ? null : join(known, ...tail);
    // lstat first: an output not written yet (every object of a clean build) is then
    // passed to its parent without two thrown errors.
    let there: boolean;
    try {
      there = lstatSync(head, { throwIfNoEntry: false }) !== undefined;
    } catch {
      there = false; // cannot be looked at (a dir we may not search): its parent decides
    }
    if (there) {
      let real: string | null;
      try {
        real = realpathSync.native(head);
      } catch {
        real = null; // the entry is there, but where it leads is not
      }
      resolved?.set(head, real);
      return real === null ? null : join(real, ...tail);
    }
    const parent = dirname(head);
    if (parent === head) return abs;
    tail.unshift(basename(head));
    head = parent;
  }
}

/** Real paths of existing entries (realPathOfExisting's `resolved`) shared by the checks
 *  of one batch of requests: a build's objects share a few directories, each resolved
 *  once rather than per job. Trusted for `maxAgeMs` only, so a long batch (a cold
 *  build's) resolves them again as a new batch would: the window in which a directory
 *  swapped for a symlink still passes stays short. */
export class ResolvedPaths {
  private map = new Map<string, string | null>();
  private since = performance.now();

  constructor(private readonly maxAgeMs = 1000) {}

  /** The memo to resolve through now (a fresh one once the held one is too old). */
  current(): Map<string, string | null> {
    const now = performance.now();
    if (now - this.since > this.maxAgeMs) {
      this.map = new Map();
      this.since = now;
    }
    return this.map;
  }
}

/** A set of directories, by real path. */
export class RealRoots {
  readonly dirs: readonly string[];

  constructor(paths: readonly string[]) {
    const real = paths.map((p) => realPathOfExisting(p)).filter((p): p is string => p !== null);
    this.dirs = [...new Set(real)].sort();
  }

  /** Whether the real path of `abs` lies in one of the roots. */
  contains(abs: string, resolved?: Map<string, string | null>): boolean {
    const real = realPathOfExisting(abs, resolved);
    return real !== null && this.dirs.some((d) => isWithin(real, d));
  }
}

/** What the config allows, as of one config generation. */
export interface ScopeView {
  generation: number;
  /** Absolute project root as the daemon was started on it. */
  root: string;
  rootReal: string | null;
  /** The last good project config; null when there never was one. */
  project: ProjectConfig | null;
  /** Where a request may read: the project, its include dirs, the build dir, the cache. */
  readable: RealRoots;
  /** Where a compile may write: the build dirs of every profile. */
  build: RealRoots;
  /** The default profile's build dir, absolute (for messages). */
  buildDir: string;
}

export function outsideProject(what: string, path: string, view: ScopeView): RpcError {
  return new RpcError(
    ErrorCode.PathOutsideProject,
    `${what} ${path} is outside the project ${view.root}, its include dirs, its build dir and the compile cache; refused`,
    { path },
  );
}

export interface RequestScopeOptions {
  /** The compile cache's directory (readable too). */
  cacheDir?: string;
  /** A view older than this is fetched again before use, so what a config no longer
   *  names stops being allowed. Default 2000 ms. */
  maxAgeMs?: number;
  /** How long the config a change replaced is still honoured. Default 5 minutes. */
  previousGraceMs?: number;
}

export class RequestScope {
  private current: { view: ScopeView; at: number } | null = null;
  private fetching: Promise<ScopeView> | null = null;
  private fetchingFresh: Promise<ScopeView> | null = null;
  /** The view the current one replaced, still honoured until `until`. */
  private previous: { view: ScopeView; until: number } | null = null;
  private readonly maxAgeMs: number;
  private readonly graceMs: number;

  constructor(
    readonly root: string,
    private readonly setup: SetupApi,
    private readonly opts: RequestScopeOptions = {},
  ) {
    this.maxAgeMs = opts.maxAgeMs ?? 2000;
    this.graceMs = opts.previousGraceMs ?? 5 * 60_000;
  }

  /** The view of the config; fetched when none is held, it is stale, or `fresh`. A fresh
   *  one has the source globs expanded again: the request may name a file added since. */
  async view(fresh = false): Promise<ScopeView> {
    if (fresh) {
      // Concurrent refusals share one fetch (a config edit mid-build refuses every job left).
      this.fetchingFresh ??= this.fetch(true).finally(() => {
        this.fetchingFresh = null;
      });
      return this.fetchingFresh;
    }
    if (this.current && performance.now() - this.current.at < this.maxAgeMs) return this.current.view;
    this.fetching ??= this.fetch(false).finally(() => {
      this.fetching = null;
    });
    return this.fetching;
  }

  /** Throws what `verdict` finds wrong with a request, after asking a fresh view too
   *  (the config may have changed since the held view was made), and the config the
   *  fresh one replaced, for a while: a build that began before an edit of
   *  replibuild.toml still sends the jobs the config gave when it began. */
  async check(verdict: (view: ScopeView) => RpcError | null): Promise<ScopeView> {
    let view = await this.view();
    if (verdict(view) === null) return view;
    view = await this.view(true);
    const refusal = verdict(view);
    if (refusal === null) return view;
    const prev = this.previous;
    if (prev && performance.now() < prev.until && verdict(prev.view) === null) return prev.view;
    throw refusal;
  }

  /** Refuses the request unless every path (absolute, or relative to the root) may be read. */
  async checkReadable(what: string, paths: readonly string[]): Promise<void> {
    await this.check((view) => {
      for (const p of paths) if (!view.readable.contains(resolve(view.root, p))) return outsideProject(what, p, view);
      return null;
    });
  }

  private async fetch(rescan: boolean): Promise<ScopeView> {
    const snap = await this.setup.getConfig({ rescan });
    const project = snap.project;
    const root = this.root;
    const includeDirs = new Set<string>();
    const buildDirs: string[] = [];
    // Any profile's build may send its requests: its include dirs and build dir are the config's too.
    for (const config of project ? allProfiles(project) : []) {
      for (const t of config.targets) for (const d of t.include_dirs) includeDirs.add(resolve(root, d));
      buildDirs.push(resolve(root, config.build_dir));
    }
    // A source the config names outside the project (an imported CMake tree beside it):
    // that file, not its directory, as nothing else there is named.
    const outsideSources = new Set<string>();
    for (const t of project?.targets ?? []) {
      for (const s of t.sources) if (s.startsWith('/') || s.startsWith('../')) outsideSources.add(resolve(root, s));
    }
    const buildDir = buildDirs[0] ?? resolve(root, 'build');
    const extra = this.opts.cacheDir ? [this.opts.cacheDir] : [];
    const view: ScopeView = {
      generation: snap.generation,
      root,
      rootReal: realPathOfExisting(root),
      project,
      readable: new RealRoots([root, ...includeDirs, ...outsideSources, buildDir, ...buildDirs, ...extra]),
      build: new RealRoots([buildDir, ...buildDirs]),
      buildDir,
    };
    const now = performance.now();
    if (this.current && this.current.view.generation !== view.generation) this.previous = { view: this.current.view, until: now + this.graceMs };
    this.current = { view, at: now };
    return view;
  }
}
