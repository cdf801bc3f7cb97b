// The compile cache in front of the runner, in ccache's modes (mode-policy.ts says which
// runs when, modes.ts how). CompileCache owns the parts a compile's trip through the
// cache uses (parts.ts) and coordinates them; it holds no step of its own.
//
// Stored results are the runner's own outputs, restored byte for byte (restore.ts); the
// cache never builds an object itself. Anything the cache cannot vouch for is compiled.
//
// The hit path is synchronous file-system work on purpose (see fs-snapshot.ts):
// manifests are kept decoded in memory (manifest-memo.ts), valid while their index
// bucket and content file keep their stat stamps; a result's header is read once and kept
// decoded (result-store.ts), and its object, a content file of its own, is copied in the
// kernel into a temp file + rename, as is the depfile, written from the stored text
// (object-files.ts says when the copy is trusted unread). A source or header is only
// re-hashed when its stat stamp moved.

import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { CacheMiss } from '../protocol/trace.js';
import { CompileCancelledError, type RunCompileOptions, type RunnerIdentity } from '../toolchain/compile-runner.js';
import { BackgroundStores } from './background-stores.js';
import { Bookkeeping } from './bookkeeping.js';
import { BuildStatMemo } from './build-stats.js';
import { defaultCacheDir, type CacheLayout } from './cache-dir.js';
import { CacheGuard } from './cache-guard.js';
import { DEFAULT_RACY_SLACK_MS, DirListingCache, FileInfoCache } from './fs-snapshot.js';
import { LinkCache } from './link-cache.js';
import { DEFAULT_MAX_MANIFEST_ENTRIES, type HeaderHasher } from './manifest.js';
import { EntryChecker } from './manifest-check.js';
import { ManifestMemo } from './manifest-memo.js';
import { compileEnded, compileStarted } from './compile-activity.js';
import { missMode, Siblings, staleWorthPreprocessing } from './mode-policy.js';
import { afterInternalError, dependMode, directLookup, passThrough, preprocessorMode } from './modes.js';
import { isAbort, type CacheParts, type CompileRunner } from './parts.js';
import { TuPreparer } from './prepare.js';
import { buildReport, CacheStats, type CacheStatsReport } from './stats.js';
import { openStore, type TieredStore } from './tiered-store.js';
import { ResultStore } from './result-store.js';
import { storeUsage, type LocalTier } from './tiers/local.js';
import type { RedisTier, RemoteStatus } from './tiers/redis.js';
import type { RemoteCacheSettings } from '../config/remote-cache.js';

export type { CompileRunner } from './parts.js';

export interface CompileCacheOptions {
  /** Cache root; default REPLIBUILD_CACHE_DIR or ~/.replibuild/cache. */
  dir?: string;
  /** Hashes of project headers (the discovery daemon's); default: read the files. */
  hasher?: HeaderHasher;
  /** The environment the compiler runs in (runCompile uses process.env). */
  env?: NodeJS.ProcessEnv;
  maxManifestEntries?: number;
  /** Files changed less than this long before the compile are "too new" to store. */
  racySlackMs?: number;
  /** Delay before counters are written out; negative = only on flush(). */
  statsFlushDelayMs?: number;
  /** Called with a line about each miss and each thing not stored, for the daemon log. */
  log?: (line: string) => void;
  /** When a never-seen TU's compile gets an `-E` beside it (see mode-policy.ts):
   *  "spare" (default) while this process runs fewer compiles than there are cores. */
  preprocessAlongside?: 'spare' | 'always' | 'never';
  /** Bytes of encoded manifests kept decoded in memory (default 16 MiB). */
  manifestMemoBytes?: number;
  /** Answer a compile before its result is written to the store (background-stores.ts). */
  storeInBackground?: boolean;
  /** With storeInBackground: bytes of objects whose stores wait while the compiles fill
   *  the cores (background-stores.ts); 0 (default): they run right after their answer. */
  holdStoresBytes?: number;
  /** Open even when the directory is refused (cache-guard.ts): compiles then bypass the
   *  cache and carry the reason as their cache_note, and each build checks again. */
  openRefused?: boolean;
  /** Where the remote tier's connection changes are told (default: `log`). */
  remoteLog?: (line: string) => void;
  /** The shared remote tier to read (and, read-write, fill) after the local one. */
  remote?: RemoteCacheSettings | null;
}

export class CompileCache {
  readonly stats: CacheStats;
  readonly store: TieredStore;
  readonly layout: CacheLayout;
  private readonly parts: CacheParts;
  private readonly preparer: TuPreparer;
  private readonly local: LocalTier;
  /** Counts and logs a local entry found damaged and removed. */
  private readonly onCorrupt: (kind: string, key: string, why: string) => void;

  private constructor(
    /** Re-checks the directory per build and says what the user must be told. */
    readonly guard: CacheGuard,
    opts: CompileCacheOptions,
    /** The shared remote tier, when configured. */
    readonly remote: RedisTier | null = null,
  ) {
    const layout = (this.layout = guard.layout);
    const slack = opts.racySlackMs ?? DEFAULT_RACY_SLACK_MS;
    const files = new FileInfoCache(slack);
    const hasher = opts.hasher ?? files;
    const customHasher = opts.hasher !== undefined;
    const env = opts.env ?? process.env;
    const stats = (this.stats = new CacheStats(layout.stats, opts.statsFlushDelayMs ?? 1000, () => guard.usableNow()));
    const book = new Bookkeeping(stats, opts.log ?? (() => undefined), guard);
    const onCorrupt = (this.onCorrupt = (kind: string, key: string, why: string) => {
      stats.error();
      book.log(`cache: removed corrupt ${kind} ${key.slice(0, 12)}: ${why}`);
    });
    const { store, local } = openStore(layout.store, {
      onCorrupt,
      onTierError: (tier, e) => {
        stats.error();
        book.log(`cache: ${tier} tier: ${e instanceof Error ? e.message : String(e)}`);
      },
      onLaterTier: (_tier, outcome, bytes) => stats.remote(outcome === 'corrupt' ? 'error' : outcome, bytes),
    }, remote ? [remote] : []);
    remote?.observe(stats);
    this.store = store;
    this.local = local;
    const background = new BackgroundStores(opts.storeInBackground === true, stats, (e) => book.internalError(e), () => guard.usableNow(), opts.holdStoresBytes ?? 0);
    this.preparer = new TuPreparer(files, env, hasher, customHasher);
    this.parts = {
      store,
      results: new ResultStore(store, local, slack, (key, why) => onCorrupt('result', key, why), (work) => {
        // Deferred past the answer when stores are; tracked either way, so flush() waits for it.
        if (background.enabled) void background.later(work);
        else stats.track(work());
      }),
      manifests: new ManifestMemo(store, local, opts.maxManifestEntries ?? DEFAULT_MAX_MANIFEST_ENTRIES, opts.manifestMemoBytes ?? 16 * 1024 * 1024),
      files,
      dirs: new DirListingCache(slack),
      hasher,
      customHasher,
      env,
      slack,
      book,
      background,
      siblings: new Siblings(),
      alongside: opts.preprocessAlongside ?? 'spare',
      buildStats: new BuildStatMemo(),
    };
  }

  /** Opens (creating, mode 0700) the cache directory. Throws CacheDirError when it is
   *  unusable, unless `openRefused`. */
  static async open(opts: CompileCacheOptions = {}): Promise<CompileCache> {
    const guard = CacheGuard.open(opts.dir ?? defaultCacheDir());
    if (!opts.openRefused) guard.assertUsable();
    let remote: RedisTier | null = null;
    if (opts.remote) {
      // Loaded only here: a local-only start never pays for the Redis client.
      const { RedisTier } = await import('./tiers/redis.js');
      remote = new RedisTier(opts.remote, opts.remoteLog ?? opts.log ?? (() => undefined));
    }
    return new CompileCache(guard, opts, remote);
  }

  /** The remote tier's connection and circuit, for `status`; null without one. */
  remoteStatus(): RemoteStatus | null {
    return this.remote?.status() ?? null;
  }

  /**
   * Compiles `job` through the cache: restores a stored result when one provably
   * matches (outcome "cached", the original stderr), else runs `run` and stores what
   * it produced. Cancellation (an AbortError from `run` or the -E run) propagates.
   */
  async compile(
    job: CompileJob,
    identity: RunnerIdentity,
    run: CompileRunner,
    opts: RunCompileOptions = {},
  ): Promise<CompileResult> {
    const t0 = performance.now();
    // A cancelled build gets no restored objects either.
    if (opts.signal?.aborted) throw new CompileCancelledError(job.object);
    // A directory refused now is neither read nor written: the compiler runs.
    const usable = this.guard.enter(job.build_id);
    const r = usable ? await this.counted(job, identity, run, opts, t0) : await run(job, identity, opts);
    const note = this.guard.note();
    if (!usable) return { ...r, ...(note ? { cache_note: note } : {}), cache: { mode: 'off', detail: note ?? 'the cache directory cannot be used' } };
    return note ? { ...r, cache_note: note } : r;
  }

  private async counted(job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, t0: number): Promise<CompileResult> {
    compileStarted();
    try {
      return await this.lookUpOrCompile(job, identity, run, opts, t0);
    } finally {
      compileEnded();
    }
  }

  /** Stores waiting for the compiles to stop (background-stores.ts). */
  get heldStores(): number {
    return this.parts.background.heldCount;
  }

  /** Statistics of the whole cache directory, this process's unflushed counts included. */
  async report(maxSizeBytes: number): Promise<CacheStatsReport> {
    const [counters, usage] = await this.parts.background.hurry(() => Promise.all([this.stats.read(), storeUsage(this.layout.store)]));
    return buildReport(counters, usage, this.layout.root, maxSizeBytes);
  }

  /** Waits for stores still running (the remote tier's unawaited puts and copy-backs
   *  too, each bounded by its timeout), then writes the counters out. */
  async flush(): Promise<void> {
    await this.parts.background.hurry(() => this.stats.settled());
    await this.store.settled();
    return this.stats.flush();
  }

  /** flush(), then the remote tier's connection closed (its reconnect timers would keep
   *  an in-process CLI alive). */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    await this.remote?.close();
  }

  /** Once the daemon has gone quiet: drops the memos a build overflowed (bounded-lru.ts).
   *  What fits is kept, for the next build. */
  trimOverflowed(): void {
    const c = this.parts;
    this.preparer.trimOverflowed();
    c.files.trimOverflowed();
    c.dirs.trimOverflowed();
    c.results.trimOverflowed();
    c.manifests.trimOverflowed();
    c.buildStats.clear();
    this.local.trimOverflowed();
  }

  /** A link cache sharing this cache's store, counters, background stores and environment. */
  linkCache(): LinkCache {
    const onCorrupt = this.onCorrupt;
    return new LinkCache(this.store, this.stats, this.parts.env, this.parts.background, this.guard, this.parts.results.objects, (key, why) => onCorrupt('link', key, why));
  }

  /** Direct mode, then the mode the policy picks for a miss. */
  private async lookUpOrCompile(job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, t0: number): Promise<CompileResult> {
    const c = this.parts;
    let prep;
    try {
      prep = this.preparer.prepare(job, identity);
    } catch (e) {
      return afterInternalError(c, e, job, identity, run, opts);
    }
    if ('uncacheable' in prep) return passThrough(c, prep.uncacheable, prep.detail, job, identity, run, opts);
    // A store of this key1 still running (see background-stores.ts) is part of what we look up.
    const pending = c.background.pending(prep.key1);
    if (pending) await pending;

    let existed: boolean;
    let worthE: boolean;
    let miss: CacheMiss = { kind: 'first-compile' };
    try {
      const found = await c.manifests.load(prep.key1);
      existed = found.existed;
      // A manifest that existed but cannot be read (corrupt, evicted): this TU was seen, -E may hit.
      worthE = existed;
      if (existed) miss = { kind: 'manifest-unreadable' };
      if (found.manifest) {
        const looked = await directLookup(c, job, identity, prep, found.manifest, t0);
        if (!(looked instanceof EntryChecker)) return looked;
        worthE = staleWorthPreprocessing(found.manifest, looked);
        miss = { kind: 'entries-stale', detail: looked.stale ?? 'the manifest has no entries' };
      }
    } catch (e) {
      if (isAbort(e)) throw e;
      return afterInternalError(c, e, job, identity, run, opts);
    }
    if (existed) c.siblings.note(prep);
    return missMode(existed, worthE, prep, c.siblings) === 'preprocessor'
      ? preprocessorMode(c, job, identity, run, opts, prep, t0, miss)
      : dependMode(c, job, identity, run, opts, prep, t0, miss);
  }
}
