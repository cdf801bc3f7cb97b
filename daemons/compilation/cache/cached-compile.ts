// The compile cache in front of the runner, in ccache's two modes.
//
//   direct mode      key1 (args, source, env, compiler) → manifest → an entry whose
//                    headers (and absent files, see manifest.ts) still hold → result.
//                    No preprocessor, no compiler: a few stats and hash look-ups.
//   preprocessor     on a direct miss, run `-E` and look up key2 (the preprocessed
//   mode             output and the remaining args) → result. A header edit that
//                    changes no token (a comment) hits here, and adds a direct entry.
//   compile          on both misses; the result is stored under key2 and a direct
//                    entry is added — unless a file changed around the compile.
//
// Stored results are the runner's own outputs, restored byte for byte; the cache
// never builds an object itself. Anything the cache cannot vouch for is compiled.

import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { tempPathFor } from '../../common/atomic-write.js';
import type { CompileJob, CompileResult } from '../../../protocol/build.js';
import { CompileCancelledError, type RunCompileOptions, type RunnerIdentity } from '../compile-runner.js';
import { parseDepfile } from '../depfile.js';
import { analyzeArgs, analyzeEnv, debugDirForKey, type CacheableArgs, type EnvAnalysis, type UncacheableReason } from './args.js';
import { defaultCacheDir, ensureCacheDir, type CacheLayout } from './cache-dir.js';
import {
  DEFAULT_RACY_SLACK_MS,
  DirListingCache,
  FileInfoCache,
  isRacy,
  sameStamp,
  snapshotFile,
  statStamp,
  type FileSnapshot,
} from './fs-snapshot.js';
import { directKey, preprocessorKey, type KeyContext } from './keys.js';
import {
  DEFAULT_MAX_MANIFEST_ENTRIES,
  EntryChecker,
  absLiteral,
  hasherPath,
  isProjectPath,
  addEntry,
  decodeManifest,
  dirOfLiteral,
  encodeManifest,
  recordEntry,
  type HeaderHasher,
  type Manifest,
  type ManifestEntry,
  type Recorded,
} from './manifest.js';
import { LinkCache } from './link-cache.js';
import { runPreprocessor, type PreprocessOutput, type SearchList } from './preprocess.js';
import { decodeResult, encodeResult, retargetDepfile, type StoredResult } from './result.js';
import { buildReport, CacheStats, type CacheStatsReport } from './stats.js';
import { CacheStore, CorruptEntryError, storeUsage } from './store.js';

/** runCompile's shape; the cache calls it for every real compile. */
export type CompileRunner = (job: CompileJob, identity: RunnerIdentity, opts?: RunCompileOptions) => Promise<CompileResult>;

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
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

interface Prepared {
  args: CacheableArgs;
  env: EnvAnalysis;
  srcAbs: string;
  src: FileSnapshot;
  ctx: KeyContext;
  key1: string;
}

interface Preprocessed {
  out: PreprocessOutput;
  search: SearchList;
  startedMs: number;
  headers: { path: string; snap: FileSnapshot }[];
}

export class CompileCache {
  readonly stats: CacheStats;
  readonly store: CacheStore;
  private readonly files: FileInfoCache;
  private readonly dirs: DirListingCache;
  private readonly hasher: HeaderHasher;
  private readonly customHasher: boolean;
  private readonly env: NodeJS.ProcessEnv;
  private readonly slack: number;
  private readonly maxEntries: number;
  private readonly log: (line: string) => void;

  private constructor(
    readonly layout: CacheLayout,
    opts: CompileCacheOptions,
  ) {
    this.slack = opts.racySlackMs ?? DEFAULT_RACY_SLACK_MS;
    this.files = new FileInfoCache(this.slack);
    this.dirs = new DirListingCache(this.slack);
    this.hasher = opts.hasher ?? this.files;
    this.customHasher = opts.hasher !== undefined;
    this.env = opts.env ?? process.env;
    this.maxEntries = opts.maxManifestEntries ?? DEFAULT_MAX_MANIFEST_ENTRIES;
    this.log = opts.log ?? (() => undefined);
    this.stats = new CacheStats(layout.stats, opts.statsFlushDelayMs ?? 1000);
    this.store = new CacheStore(layout.store, {
      onCorrupt: (kind, key, why) => {
        this.stats.error();
        this.log(`cache: removed corrupt ${kind} ${key.slice(0, 12)}: ${why}`);
      },
    });
  }

  /** Opens (creating, mode 0700) the cache directory. Throws CacheDirError when it is unusable. */
  static async open(opts: CompileCacheOptions = {}): Promise<CompileCache> {
    const layout = await ensureCacheDir(opts.dir ?? defaultCacheDir());
    return new CompileCache(layout, opts);
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
    let prep: Prepared | { uncacheable: UncacheableReason; detail: string };
    try {
      prep = await this.prepare(job, identity);
    } catch (e) {
      if (isAbort(e)) throw e;
      return this.afterInternalError(e, job, identity, run, opts);
    }
    if ('uncacheable' in prep) return this.passThrough(prep.uncacheable, prep.detail, job, identity, run, opts);

    // Direct mode.
    try {
      const hit = await this.directLookup(job, identity, prep, t0);
      if (hit) return hit;
    } catch (e) {
      if (isAbort(e)) throw e;
      return this.afterInternalError(e, job, identity, run, opts);
    }

    // Preprocessor mode.
    let pp: Preprocessed | { failed: true } | { uncacheable: UncacheableReason; detail: string };
    let key2: string;
    try {
      pp = await this.preprocess(job, identity, prep, opts);
      if ('uncacheable' in pp) return this.passThrough(pp.uncacheable, pp.detail, job, identity, run, opts);
      if ('failed' in pp) {
        // The compile will fail the same way and say why in the user's own terms.
        const r = await run(job, identity, opts);
        if (r.outcome === 'compiled') this.stats.uncacheable('preprocessor failed');
        else this.countMiss(r, t0, 'preprocessor failed');
        return r;
      }
      key2 = preprocessorKey(prep.ctx, pp.out.hash);
      const stored = await this.loadResult(key2);
      if (stored) {
        const out = await this.restore(job, identity, stored, t0);
        this.stats.hit('preprocessed', out.duration_ms);
        await this.addDirectEntry(job, prep, pp, key2).catch((e) => this.internalError(e));
        return out;
      }
    } catch (e) {
      if (isAbort(e)) throw e;
      return this.afterInternalError(e, job, identity, run, opts);
    }

    // Compile, then store what it produced if nothing moved underneath it.
    const r = await run(job, identity, opts);
    this.countMiss(r, t0, `${job.source}: miss`);
    if (r.outcome !== 'compiled') return r;
    try {
      const why = await this.changedSince(prep, pp);
      if (why) {
        this.stats.notStored(why.reason);
        this.log(`cache: not storing ${job.source}: ${why.detail}`);
        return r;
      }
      const object = await readFile(resolve(job.cwd, job.object));
      if (object.length === 0) {
        this.stats.notStored('empty object file');
        return r;
      }
      // Also proves no file that would capture an include appeared while compiling.
      const { entry, problem } = await this.buildEntry(job, prep, pp, key2);
      if (problem) {
        this.stats.notStored(problem.reason);
        this.log(`cache: not storing ${job.source}: ${problem.detail}`);
        return r;
      }
      const depfile = await readFile(resolve(job.cwd, job.depfile), 'utf8');
      await this.store.put(
        'result',
        key2,
        encodeResult({ object, depfile, depfileTarget: job.object, stderr: r.stderr, createdMs: Date.now() }),
      );
      if (entry) await this.saveEntry(prep.key1, entry);
    } catch (e) {
      if (isAbort(e)) throw e;
      this.internalError(e);
    }
    return r;
  }

  /** Statistics of the whole cache directory, this process's unflushed counts included. */
  async report(maxSizeBytes: number): Promise<CacheStatsReport> {
    const [counters, usage] = await Promise.all([this.stats.read(), storeUsage(this.layout.store)]);
    return buildReport(counters, usage, this.layout.root, maxSizeBytes);
  }

  flush(): Promise<void> {
    return this.stats.flush();
  }

  /** A link cache sharing this cache's store, counters and environment. */
  linkCache(): LinkCache {
    return new LinkCache(this.store, this.stats, this.env);
  }

  // ---------------------------------------------------------------- steps

  private async prepare(
    job: CompileJob,
    identity: RunnerIdentity,
  ): Promise<Prepared | { uncacheable: UncacheableReason; detail: string }> {
    const args = analyzeArgs(job.args, job.source);
    if (!args.cacheable) return { uncacheable: args.reason, detail: args.detail };
    const env = analyzeEnv(this.env);
    if ('cacheable' in env) return { uncacheable: env.reason, detail: env.detail };
    const srcAbs = absLiteral(job.cwd, args.source);
    const src = await snapshotFile(srcAbs);
    if (!src) return { uncacheable: 'no source file', detail: `${args.source} cannot be read` };
    if (src.facts.timeMacro) return { uncacheable: '__DATE__/__TIME__', detail: `${args.source} uses ${src.facts.timeMacro}` };
    const ctx: KeyContext = { compilerId: identity.id, args, env, cwd: job.cwd, debugDir: debugDirForKey(args, job.cwd) };
    return { args, env, srcAbs, src, ctx, key1: directKey(ctx, src.facts.hash) };
  }

  private async directLookup(job: CompileJob, identity: RunnerIdentity, prep: Prepared, t0: number): Promise<CompileResult | null> {
    const manifest = await this.loadManifest(prep.key1);
    if (!manifest) return null;
    const checker = new EntryChecker(job.cwd, this.hasher, this.files);
    for (const entry of manifest.entries) {
      if ((await checker.check(entry)) !== null) continue;
      const stored = await this.loadResult(entry.result);
      if (!stored) continue;
      const out = await this.restore(job, identity, stored, t0);
      this.stats.hit('direct', out.duration_ms);
      return out;
    }
    return null;
  }

  private async preprocess(
    job: CompileJob,
    identity: RunnerIdentity,
    prep: Prepared,
    opts: RunCompileOptions,
  ): Promise<Preprocessed | { failed: true } | { uncacheable: UncacheableReason; detail: string }> {
    const startedMs = Date.now();
    const res = await runPreprocessor(identity.path, prep.args.preprocessArgs, {
      cwd: job.cwd,
      env: this.env,
      dropCwdMarker: prep.ctx.debugDir === null,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
      ...(opts.onExit ? { onExit: opts.onExit } : {}),
    });
    if (res.exitCode !== 0 || !res.output) return { failed: true };
    const out = res.output;
    const srcResolved = resolve(prep.srcAbs);
    const entered = out.files.filter((f) => f.path !== out.mainFile && resolve(absLiteral(job.cwd, f.path)) !== srcResolved);
    const headers: { path: string; snap: FileSnapshot }[] = [];
    const snaps = await Promise.all(entered.map((f) => this.files.get(absLiteral(job.cwd, f.path))));
    for (let i = 0; i < entered.length; i++) {
      const snap = snaps[i];
      const path = entered[i]!.path;
      // Gone already: the compile will read something else than -E did. Compile uncached.
      if (!snap) return { uncacheable: 'preprocessor failed', detail: `${path} vanished during preprocessing` };
      if (snap.facts.timeMacro) return { uncacheable: '__DATE__/__TIME__', detail: `${path} uses ${snap.facts.timeMacro}` };
      headers.push({ path, snap });
    }
    // gcc -E ignores precompiled headers, the compile uses them (sccache #2562).
    const gch = await Promise.all(
      headers.map(async (h) => {
        const abs = absLiteral(job.cwd, h.path);
        const l = await this.dirs.list(dirOfLiteral(abs));
        return l?.names.has(`${abs.slice(abs.lastIndexOf('/') + 1)}.gch`) ? h.path : null;
      }),
    );
    const pch = gch.find((x) => x !== null);
    if (pch) return { uncacheable: 'precompiled header', detail: `${pch}.gch exists and would be used` };
    return { out, search: res.search, startedMs, headers };
  }

  /** Why the compile's inputs cannot be trusted to be what we hashed, or null. */
  private async changedSince(prep: Prepared, pp: Preprocessed): Promise<{ reason: string; detail: string } | null> {
    const src = await snapshotFile(prep.srcAbs);
    if (!src || !src.stable || !sameStamp(src.stamp, prep.src.stamp) || src.facts.hash !== prep.src.facts.hash) {
      return { reason: 'changed during compile', detail: `${prep.args.source} changed during the compile` };
    }
    const now = await Promise.all(pp.headers.map((h) => statStamp(absLiteral(prep.ctx.cwd, h.path))));
    for (let i = 0; i < pp.headers.length; i++) {
      const h = pp.headers[i]!;
      if (!h.snap.stable || !sameStamp(now[i], h.snap.stamp)) {
        return { reason: 'changed during compile', detail: `${h.path} changed during the compile` };
      }
      // First seen after -E started: only its timestamp can say it was not written after that.
      if (isRacy(h.snap.stamp, pp.startedMs, this.slack)) {
        return { reason: 'too new', detail: `${h.path} was modified just before the compile` };
      }
    }
    return null;
  }

  /**
   * Enumerates what would change the preprocessor's choices (manifest.ts) and makes
   * the direct-mode entry. `entry` is null when the TU cannot have one (a macro
   * __has_include, a hasher that disagrees with the disk); `problem` is set when the
   * compile itself cannot be vouched for.
   */
  private async buildEntry(job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string): Promise<{ entry: ManifestEntry | null; problem: Recorded['problem'] }> {
    const probes: { fromDir: string; name: string }[] = [];
    let directOk = true;
    for (const f of [{ path: prep.args.source, snap: prep.src }, ...pp.headers]) {
      // A probe whose name is a macro cannot be re-checked: preprocessor mode only.
      if (f.snap.facts.dynamicProbe) directOk = false;
      for (const p of f.snap.facts.probes) probes.push({ fromDir: dirOfLiteral(f.path), name: p.name });
    }
    if (this.customHasher && directOk) {
      // The hasher is what a lookup will trust; if it disagrees with the file now, it lags behind.
      for (const h of pp.headers) {
        const hp = isProjectPath(job.cwd, h.path) ? hasherPath(job.cwd, h.path) : null;
        if (hp && (await this.hasher.hash(hp)) !== h.snap.facts.hash) directOk = false;
      }
    }
    const rec = await recordEntry({
      cwd: job.cwd,
      result: key2,
      mainFile: pp.out.mainFile,
      headers: pp.headers,
      probes,
      searchDirs: [...prep.args.includeDirs, ...prep.env.includeDirs, ...pp.search.dirs, ...pp.search.missing],
      forcedIncludes: prep.args.forcedIncludes,
      dirCache: this.dirs,
      referenceMs: pp.startedMs,
      racySlackMs: this.slack,
    });
    return { entry: directOk ? rec.entry : null, problem: rec.problem };
  }

  private async saveEntry(key1: string, entry: ManifestEntry): Promise<void> {
    // Re-read just before writing, so entries other processes added meanwhile are kept.
    const current = await this.loadManifest(key1);
    await this.store.put('manifest', key1, encodeManifest(addEntry(current, entry, this.maxEntries)));
  }

  /** After a preprocessor-mode hit: the direct entry, if everything still holds. */
  private async addDirectEntry(job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string): Promise<void> {
    if (await this.changedSince(prep, pp)) return;
    const { entry, problem } = await this.buildEntry(job, prep, pp, key2);
    if (entry && !problem) await this.saveEntry(prep.key1, entry);
  }

  private async loadManifest(key1: string): Promise<Manifest | null> {
    const data = await this.store.get('manifest', key1);
    if (!data) return null;
    try {
      return decodeManifest(data);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      await this.store.discard('manifest', key1, e.message);
      return null;
    }
  }

  private async loadResult(key2: string): Promise<StoredResult | null> {
    const data = await this.store.get('result', key2);
    if (!data) return null;
    try {
      return decodeResult(data);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      await this.store.discard('result', key2, e.message);
      return null;
    }
  }

  /** Puts the stored object and depfile in place, each by temp file + rename, the
   *  depfile first and the object last, as the runner does. */
  private async restore(job: CompileJob, identity: RunnerIdentity, r: StoredResult, t0: number): Promise<CompileResult> {
    const objAbs = resolve(job.cwd, job.object);
    const depAbs = resolve(job.cwd, job.depfile);
    const depText = retargetDepfile(r.depfile, r.depfileTarget, job.object, (t) => parseDepfile(t));
    // One suffix for both, as the runner does, so a sweep of a killed writer's leftovers finds the pair.
    const suffix = tempPathFor(objAbs).slice(objAbs.length);
    await mkdir(dirname(objAbs), { recursive: true });
    if (dirname(depAbs) !== dirname(objAbs)) await mkdir(dirname(depAbs), { recursive: true });
    try {
      await writeFile(depAbs + suffix, depText);
      await writeFile(objAbs + suffix, r.object);
      await rename(depAbs + suffix, depAbs);
      await rename(objAbs + suffix, objAbs);
    } catch (e) {
      await Promise.all([rm(depAbs + suffix, { force: true }), rm(objAbs + suffix, { force: true })]);
      throw e;
    }
    const srcAbs = resolve(job.cwd, job.source);
    const headers = parseDepfile(depText).prereqs.filter((p) => p !== job.source && resolve(job.cwd, p) !== srcAbs);
    return {
      outcome: 'cached',
      exit_code: 0,
      stderr: r.stderr,
      duration_ms: Math.round(performance.now() - t0),
      headers,
      compiler_id: identity.id,
    };
  }

  private async passThrough(
    reason: UncacheableReason,
    detail: string,
    job: CompileJob,
    identity: RunnerIdentity,
    run: CompileRunner,
    opts: RunCompileOptions,
  ): Promise<CompileResult> {
    this.stats.uncacheable(reason);
    const r = await run(job, identity, opts);
    return { ...r, uncacheable_reason: detail };
  }

  private countMiss(r: CompileResult, t0: number, why: string): void {
    this.stats.miss(Math.round(performance.now() - t0));
    if (r.outcome !== 'compiled') this.stats.compileFailed();
    this.log(`cache: ${why}`);
  }

  private internalError(e: unknown): void {
    this.stats.error();
    this.log(`cache: internal error: ${e instanceof Error ? e.message : String(e)}`);
  }

  /** A failure of the cache itself must not fail the build: count it and compile. */
  private async afterInternalError(
    e: unknown,
    job: CompileJob,
    identity: RunnerIdentity,
    run: CompileRunner,
    opts: RunCompileOptions,
  ): Promise<CompileResult> {
    this.internalError(e);
    return run(job, identity, opts);
  }
}

