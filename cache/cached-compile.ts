// The compile cache in front of the runner, in ccache's modes.
//
//   direct mode      key1 (args, source, env, compiler) → manifest → an entry whose
//                    headers (and absent files, see manifest.ts) still hold → result.
//                    No preprocessor, no compiler: a few stats and hash look-ups.
//                    Sources and project headers are hashed comment-blind
//                    (comment-blind.ts), so a same-length comment edit is a hit here.
//   depend mode      a TU never seen (no manifest for key1, no sibling, below): it is
//                    compiled at once, and the entry is built from the depfile's
//                    headers and the compiler's include search list (compiler-search.ts,
//                    one `-v` probe per compiler and flags); the result is stored under
//                    a key of key1 and the headers' hashes (keys.ts dependKey).
//   preprocessor     only where it can pay: a manifest for key1 exists but no entry
//   mode             holds, and for one of them only project headers changed, keeping
//                    their token hash (comments and white space aside: a reworded
//                    comment), with its result under a key2 -E can find again; or the
//                    manifest could not be read; or the source was compiled before under
//                    other -D/-I (a "sibling": perhaps a -D that changes no token). Then
//                    `-E` runs first and key2 (preprocessed output + the remaining args)
//                    is looked up → result; a miss compiles and stores under key2. A real
//                    header edit thus compiles at once, as a cold miss does.
//
// The trade-off of depend mode: a cold miss no longer pays a second preprocessing
// (60–150 ms per heavy TU, all of it on the critical path of a cold build), but its
// result has no key2, so the first length-changing comment edit of a header after
// it compiles once more instead of hitting in preprocessor mode (a same-length edit
// is a direct hit regardless). To keep most of preprocessor mode's reach anyway, the
// `-E` runs *beside* the compile when two cores are idle (this process runs at least
// two compiles fewer than the machine has cores: an interactive one-file build on four
// cores or more, the tail of a cold one), off the critical path; its key2 is then
// stored as before. One idle core is not enough: the link after the compile needs it. A saturated
// cold build (-j = cores) never pays for it. Stored key2s are the reason any later
// -E can hit, so every -E run stores its key.
//
// Stored results are the runner's own outputs, restored byte for byte; the cache
// never builds an object itself. Anything the cache cannot vouch for is compiled.
//
// The hit path is synchronous file-system work on purpose (see fs-snapshot.ts):
// manifests are kept decoded in memory (bounded LRU), valid while their index bucket
// and content file keep their stat stamps (another process's write changes both);
// result content is located without cacache's index parsing (store.ts), read once,
// integrity-checked, and written out with one temp file + rename each for object and
// depfile. A source or header is only re-hashed when its stat stamp moved.

import { readFileSync, renameSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { nextTurn } from './next-turn.js';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { tempSuffix } from '../daemons/common/atomic-write.js';
import type { CompileJob, CompileResult } from '../protocol/build.js';
import { CompileCancelledError, type RunCompileOptions, type RunnerIdentity } from '../toolchain/compile-runner.js';
import { compilerSearch, includeSearchArgs } from '../toolchain/compiler-search.js';
import { parseDepfile } from '../toolchain/depfile.js';
import { analyzeArgs, analyzeEnv, debugDirForKey, type ArgsAnalysis, type CacheableArgs, type EnvAnalysis, type UncacheableReason } from './args.js';
import { defaultCacheDir, type CacheLayout } from './cache-dir.js';
import { CacheGuard } from './cache-guard.js';
import {
  DEFAULT_RACY_SLACK_MS,
  DirListingCache,
  FileInfoCache,
  isRacy,
  quickStat,
  sameQuick,
  sameStamp,
  statStampSync,
  type FileSnapshot,
  type QuickStat,
  type StatStamp,
} from './fs-snapshot.js';
import { dependKey, directKey, preprocessorKey, siblingKey, type KeyContext } from './keys.js';
import {
  DEFAULT_MAX_MANIFEST_ENTRIES,
  EntryChecker,
  absLiteral,
  hasherPath,
  isProjectPath,
  joinLiteral,
  addEntry,
  decodeManifest,
  dirOfLiteral,
  encodeManifest,
  recordEntry,
  recordedHash,
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
  /** When a never-seen TU's compile gets an `-E` beside it (see the top of the file):
   *  "spare" (default) while this process runs fewer compiles than there are cores. */
  preprocessAlongside?: 'spare' | 'always' | 'never';
  /** Bytes of encoded manifests kept decoded in memory (default 16 MiB). */
  manifestMemoBytes?: number;
  /** Answer a compile before its result is written to the store (see afterAnswer). */
  storeInBackground?: boolean;
  /** Open even when the directory is refused (cache-guard.ts): compiles then bypass the
   *  cache and carry the reason as their cache_note, and each build checks again. */
  openRefused?: boolean;
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
  /** The source's hash as the keys take it (comment-blind or plain). */
  srcHash: string;
  /** siblingKey: this source under these non-preprocessor options (computed when needed:
   *  a hit does not need it). */
  keyS?: string;
  /** Entries of this TU record project headers comment-blind. */
  blind: boolean;
}

interface Preprocessed {
  out: PreprocessOutput;
  search: SearchList;
  startedMs: number;
  headers: { path: string; snap: FileSnapshot }[];
}

type Uncacheable = { uncacheable: UncacheableReason; detail: string };
type PreprocessOutcome = Preprocessed | { failed: true } | Uncacheable;

/** A manifest kept decoded, with the stamps that say it is still the one on disk. */
interface KnownManifest {
  manifest: Manifest;
  bucket: QuickStat;
  path: string;
  content: QuickStat;
  bytes: number;
}

const MAX_SIBLINGS = 100_000;
const MAX_ARGS_MEMO = 4096;

function keyS(prep: Prepared): string {
  return (prep.keyS ??= siblingKey(prep.ctx, prep.srcHash));
}

/** Stores still running after their compile answered (storeInBackground), by store dir
 *  and key1 (process-wide, as two cache instances on one directory share manifests). */
const storing = new Map<string, Promise<void>>();

/** Compiles in flight in this process, across cache instances: the "spare core" test. */
let inFlight = 0;
const CORES = Math.max(2, availableParallelism());

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
  private readonly alongside: 'spare' | 'always' | 'never';
  private readonly manifests = new Map<string, KnownManifest>();
  private manifestBytes = 0;
  private readonly manifestMemoBytes: number;
  /** Sibling keys seen by this process (kept in memory only: see siblingKey). */
  private readonly siblings = new Set<string>();
  private readonly argsMemo = new Map<string, ArgsAnalysis>();
  private readonly storeInBackground: boolean;
  readonly layout: CacheLayout;

  private constructor(
    /** Re-checks the directory per build and says what the user must be told. */
    readonly guard: CacheGuard,
    opts: CompileCacheOptions,
  ) {
    const layout = (this.layout = guard.layout);
    this.slack = opts.racySlackMs ?? DEFAULT_RACY_SLACK_MS;
    this.files = new FileInfoCache(this.slack);
    this.dirs = new DirListingCache(this.slack);
    this.hasher = opts.hasher ?? this.files;
    this.customHasher = opts.hasher !== undefined;
    this.env = opts.env ?? process.env;
    this.maxEntries = opts.maxManifestEntries ?? DEFAULT_MAX_MANIFEST_ENTRIES;
    this.log = opts.log ?? (() => undefined);
    this.alongside = opts.preprocessAlongside ?? 'spare';
    this.manifestMemoBytes = opts.manifestMemoBytes ?? 16 * 1024 * 1024;
    this.storeInBackground = opts.storeInBackground === true;
    this.stats = new CacheStats(layout.stats, opts.statsFlushDelayMs ?? 1000, () => guard.usableNow());
    this.store = new CacheStore(layout.store, {
      onCorrupt: (kind, key, why) => {
        this.stats.error();
        this.log(`cache: removed corrupt ${kind} ${key.slice(0, 12)}: ${why}`);
      },
    });
  }

  /** Opens (creating, mode 0700) the cache directory. Throws CacheDirError when it is
   *  unusable, unless `openRefused`. */
  static async open(opts: CompileCacheOptions = {}): Promise<CompileCache> {
    const guard = CacheGuard.open(opts.dir ?? defaultCacheDir());
    if (!opts.openRefused) guard.assertUsable();
    return new CompileCache(guard, opts);
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
    const r = this.guard.enter(job.build_id) ? await this.counted(job, identity, run, opts, t0) : await run(job, identity, opts);
    const note = this.guard.note();
    return note ? { ...r, cache_note: note } : r;
  }

  private async counted(job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, t0: number): Promise<CompileResult> {
    inFlight++;
    try {
      return await this.lookUpOrCompile(job, identity, run, opts, t0);
    } finally {
      inFlight--;
    }
  }

  /** Statistics of the whole cache directory, this process's unflushed counts included. */
  async report(maxSizeBytes: number): Promise<CacheStatsReport> {
    const [counters, usage] = await Promise.all([this.stats.read(), storeUsage(this.layout.store)]);
    return buildReport(counters, usage, this.layout.root, maxSizeBytes);
  }

  /** Waits for stores still running, then writes the counters out. */
  flush(): Promise<void> {
    return this.stats.flush();
  }

  /** A link cache sharing this cache's store, counters and environment. */
  linkCache(): LinkCache {
    return new LinkCache(this.store, this.stats, this.env, this.storeInBackground, this.guard);
  }

  // ---------------------------------------------------------------- modes

  private async lookUpOrCompile(job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, t0: number): Promise<CompileResult> {
    let prep: Prepared | Uncacheable;
    try {
      prep = this.prepare(job, identity);
    } catch (e) {
      return this.afterInternalError(e, job, identity, run, opts);
    }
    if ('uncacheable' in prep) return this.passThrough(prep.uncacheable, prep.detail, job, identity, run, opts);
    // A store of this key1 still running (see afterAnswer) is part of what we look up.
    const pending = storing.get(`${this.layout.store}\0${prep.key1}`);
    if (pending) await pending;

    // Direct mode.
    let existed: boolean;
    let worthE: boolean;
    try {
      const found = await this.loadManifest(prep.key1);
      existed = found.existed;
      // A manifest that existed but cannot be read (corrupt, evicted): this TU was seen, -E may hit.
      worthE = existed;
      if (found.manifest) {
        const looked = await this.directLookup(job, identity, prep, found.manifest, t0);
        if (!(looked instanceof EntryChecker)) return looked;
        // Stale entries: -E first only where a comment-level edit may be all that changed
        // and the entry's result is under a preprocessor key -E can find again.
        worthE = found.manifest.entries.length === 0 || found.manifest.entries.some((e) => !e.depend && looked.mayPreprocessAlike(e));
      }
    } catch (e) {
      if (isAbort(e)) throw e;
      return this.afterInternalError(e, job, identity, run, opts);
    }
    if (existed) this.noteSibling(prep);
    if (worthE || (!existed && this.siblings.has(keyS(prep)))) return this.preprocessorMode(job, identity, run, opts, prep, t0);
    return this.dependMode(job, identity, run, opts, prep, t0);
  }

  /** -E first; key2 → result; else compile and store under key2. */
  private async preprocessorMode(job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, prep: Prepared, t0: number): Promise<CompileResult> {
    let pp: PreprocessOutcome;
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
        const out = this.restore(job, identity, stored, t0);
        this.stats.hit('preprocessed', out.duration_ms);
        const seen: Preprocessed = pp;
        await this.afterAnswer(prep.key1, () => this.addDirectEntry(job, prep, seen, key2));
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
      await this.storePreprocessed(job, prep, pp, key2, r);
    } catch (e) {
      if (isAbort(e)) throw e;
      this.internalError(e);
    }
    return r;
  }

  /** Compile now; the entry comes from the depfile (or from an -E run beside the compile). */
  private async dependMode(job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, prep: Prepared, t0: number): Promise<CompileResult> {
    // The depfile cannot list everything when -MMD leaves system headers out, and the
    // precompiled-header check needs every #include name of the source: then -E must run.
    const needE = prep.args.depfileUserHeadersOnly || prep.src.facts.blind?.computedInclude !== false;
    // Spare means a core for the -E and still one for the link that follows and for us:
    // on two cores (often two hardware threads of one) an -E beside a one-file edit
    // slowed its compile and link by 15-25 %, measured.
    const spare = this.alongside === 'always' || (this.alongside === 'spare' && inFlight + 1 < CORES);
    const startedMs = Date.now();
    let beside: Promise<PreprocessOutcome | { error: unknown }> | null = null;
    // The compile is spawned first: it is the critical path, and each spawn blocks this thread for a few ms.
    const compiling = run(job, identity, opts);
    if (needE || spare) beside = this.preprocess(job, identity, prep, opts, startedMs).catch((error: unknown) => ({ error }));
    let r: CompileResult;
    try {
      r = await compiling;
    } finally {
      // Never leave the -E behind (a cancelled build kills it through the same signal).
      await beside;
    }
    const pp = beside ? await beside : null;
    if (r.outcome !== 'compiled') {
      this.countMiss(r, t0, `${job.source}: miss`);
      return r;
    }
    let unc: Uncacheable | null = null;
    try {
      if (pp && 'error' in pp) {
        if (isAbort(pp.error)) throw pp.error;
        this.internalError(pp.error); // and go on as if it had not run
      }
      if (pp && 'uncacheable' in pp) {
        unc = pp;
      } else if (pp && 'out' in pp) {
        await this.storePreprocessed(job, prep, pp, preprocessorKey(prep.ctx, pp.out.hash), r);
      } else if (needE) {
        this.stats.notStored('preprocessor failed');
      } else {
        unc = await this.storeDepend(job, identity, prep, startedMs, r, opts);
      }
    } catch (e) {
      if (isAbort(e)) throw e;
      this.internalError(e);
    }
    if (unc) {
      this.stats.uncacheable(unc.uncacheable);
      this.log(`cache: ${job.source} not cached: ${unc.detail}`);
      return { ...r, uncacheable_reason: unc.detail };
    }
    this.countMiss(r, t0, `${job.source}: miss (depend mode)`);
    return r;
  }

  // ---------------------------------------------------------------- steps

  /** analyzeArgs, remembered per command line: a build asks the same few hundred
   *  times, and the analysis is a pure function of the arguments. */
  private analyze(job: CompileJob): ArgsAnalysis {
    const k = `${job.source}\0${job.args.join('\0')}`;
    let a = this.argsMemo.get(k);
    if (!a) {
      a = analyzeArgs(job.args, job.source);
      this.argsMemo.set(k, a);
      if (this.argsMemo.size > MAX_ARGS_MEMO) this.argsMemo.delete(this.argsMemo.keys().next().value!);
    }
    return a;
  }

  private prepare(job: CompileJob, identity: RunnerIdentity): Prepared | Uncacheable {
    const args = this.analyze(job);
    if (!args.cacheable) return { uncacheable: args.reason, detail: args.detail };
    const env = analyzeEnv(this.env);
    if ('cacheable' in env) return { uncacheable: env.reason, detail: env.detail };
    const srcAbs = absLiteral(job.cwd, args.source);
    // Lexed: the comment-blind hash, and the #include names for the precompiled-header check.
    const src = this.files.getSync(srcAbs, true);
    if (!src) return { uncacheable: 'no source file', detail: `${args.source} cannot be read` };
    if (src.facts.timeMacro) return { uncacheable: '__DATE__/__TIME__', detail: `${args.source} uses ${src.facts.timeMacro}` };
    const ctx: KeyContext = { compilerId: identity.id, args, env, cwd: job.cwd, debugDir: debugDirForKey(args, job.cwd) };
    const srcHash = recordedHash(src, args.commentBlind);
    return {
      args,
      env,
      srcAbs,
      src,
      ctx,
      key1: directKey(ctx, srcHash),
      srcHash,
      // An injected hasher that cannot hash comment-blind gets plain header hashes.
      blind: args.commentBlind && (!this.customHasher || this.hasher.commentBlindHash !== undefined),
    };
  }

  /** A hit, or the checker that found every entry stale (its stats are memoized). */
  private async directLookup(job: CompileJob, identity: RunnerIdentity, prep: Prepared, manifest: Manifest, t0: number): Promise<CompileResult | EntryChecker> {
    const checker = new EntryChecker(job.cwd, this.hasher, this.files, this.dirs);
    for (const entry of manifest.entries) {
      if ((await checker.check(entry)) !== null) continue;
      const stored = await this.loadResult(entry.result);
      if (!stored) continue;
      const out = this.restore(job, identity, stored, t0);
      this.stats.hit('direct', out.duration_ms);
      return out;
    }
    return checker;
  }

  private async preprocess(
    job: CompileJob,
    identity: RunnerIdentity,
    prep: Prepared,
    opts: RunCompileOptions,
    startedMs = Date.now(),
  ): Promise<PreprocessOutcome> {
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
    for (const f of entered) {
      const snap = this.files.getSync(absLiteral(job.cwd, f.path), prep.blind && isProjectPath(job.cwd, f.path));
      // Gone already: the compile will read something else than -E did. Compile uncached.
      if (!snap) return { uncacheable: 'preprocessor failed', detail: `${f.path} vanished during preprocessing` };
      if (snap.facts.timeMacro) return { uncacheable: '__DATE__/__TIME__', detail: `${f.path} uses ${snap.facts.timeMacro}` };
      headers.push({ path: f.path, snap });
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

  /** Why the source, as hashed before the compile, cannot be vouched for now, or null. */
  private sourceChanged(prep: Prepared, startedMs: number): { reason: string; detail: string } | null {
    const src = this.files.getSync(prep.srcAbs, true);
    if (!src || !src.stable || !sameStamp(src.stamp, prep.src.stamp) || src.facts.hash !== prep.src.facts.hash) {
      return { reason: 'changed during compile', detail: `${prep.args.source} changed during the compile` };
    }
    // Changed within a clock tick of the compile's start, a second write could have kept its stamp.
    if (isRacy(prep.src.stamp, startedMs, this.slack)) {
      return { reason: 'too new', detail: `${prep.args.source} was modified just before the compile` };
    }
    return null;
  }

  /** A header whose stamp is too recent to vouch for: changed while the compiler ran
   *  (its inode changed after the start), or so shortly before that a second write
   *  in the same clock tick could hide behind the same stamp. */
  private tooRecent(path: string, stamp: StatStamp, startedMs: number): { reason: string; detail: string } | null {
    if (!isRacy(stamp, startedMs, this.slack)) return null;
    if (BigInt(stamp.ctime_ns) >= BigInt(startedMs) * 1_000_000n) {
      return { reason: 'changed during compile', detail: `${path} changed during the compile` };
    }
    return { reason: 'too new', detail: `${path} was modified just before the compile` };
  }

  /** Why the compile's inputs cannot be trusted to be what -E hashed, or null. */
  private async changedSince(prep: Prepared, pp: Preprocessed): Promise<{ reason: string; detail: string } | null> {
    const src = this.sourceChanged(prep, pp.startedMs);
    if (src) return src;
    // Synchronous: dozens of local stats, on the answer's critical path (see the header).
    const now = pp.headers.map((h) => statStampSync(absLiteral(prep.ctx.cwd, h.path)));
    for (let i = 0; i < pp.headers.length; i++) {
      const h = pp.headers[i]!;
      if (!h.snap.stable || !sameStamp(now[i], h.snap.stamp)) {
        return { reason: 'changed during compile', detail: `${h.path} changed during the compile` };
      }
      // First seen after -E started: only its timestamp can say it was not written after that.
      const why = this.tooRecent(h.path, h.snap.stamp, pp.startedMs);
      if (why) return why;
    }
    return null;
  }

  /** After a miss compiled with -E's knowledge: result under key2, direct entry. What
   *  must reflect the moment right after the compile (did an input move? the object's
   *  bytes) is taken now; the entry and the writes run after the caller has its answer. */
  private async storePreprocessed(job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string, r: CompileResult): Promise<void> {
    const why = await this.changedSince(prep, pp);
    if (why) {
      this.stats.notStored(why.reason);
      this.log(`cache: not storing ${job.source}: ${why.detail}`);
      return;
    }
    const object = readFileSync(resolve(job.cwd, job.object));
    if (object.length === 0) {
      this.stats.notStored('empty object file');
      return;
    }
    const depfile = readFileSync(resolve(job.cwd, job.depfile), 'utf8');
    await this.afterAnswer(prep.key1, async () => {
      // Also proves no file that would capture an include appeared while compiling.
      const { entry, problem } = await this.buildEntry(job, prep, pp, key2);
      if (problem) {
        this.stats.notStored(problem.reason);
        this.log(`cache: not storing ${job.source}: ${problem.detail}`);
        return;
      }
      const headers = depfileHeaders(job, depfile);
      await this.store.put('result', key2, encodeResult({ object, depfile, depfileTarget: job.object, stderr: r.stderr, createdMs: Date.now(), headers }));
      if (entry) await this.saveEntry(prep.key1, entry);
      this.noteSibling(prep);
    });
  }

  /**
   * After a miss compiled without -E (depend mode): the entry from the depfile's
   * headers and the compiler's search list. Returns why the TU is uncacheable when
   * the compile showed it (a time macro in a header, a precompiled header in use).
   */
  private async storeDepend(job: CompileJob, identity: RunnerIdentity, prep: Prepared, startedMs: number, r: CompileResult, opts: RunCompileOptions): Promise<Uncacheable | null> {
    const notStored = (why: { reason: string; detail: string }) => {
      this.stats.notStored(why.reason);
      this.log(`cache: not storing ${job.source}: ${why.detail}`);
      return null;
    };
    const srcWhy = this.sourceChanged(prep, startedMs);
    if (srcWhy) return notStored(srcWhy);
    const object = readFileSync(resolve(job.cwd, job.object));
    if (object.length === 0) return notStored({ reason: 'empty object file', detail: 'the object is empty' });
    const depfile = readFileSync(resolve(job.cwd, job.depfile), 'utf8');
    const names = depfileHeaders(job, depfile);

    // What the compiler read, as it is now; anything touched since the compile began
    // may not be what the compiler saw (ccache's depend mode has the same rule).
    const headers: { path: string; snap: FileSnapshot }[] = [];
    for (const path of names) {
      const snap = this.files.getSync(absLiteral(job.cwd, path), prep.blind && isProjectPath(job.cwd, path));
      if (!snap || !snap.stable) return notStored({ reason: 'changed during compile', detail: `${path} changed during the compile` });
      if (snap.facts.timeMacro) return { uncacheable: '__DATE__/__TIME__', detail: `${path} uses ${snap.facts.timeMacro}` };
      const why = this.tooRecent(path, snap.stamp, startedMs);
      if (why) return notStored(why);
      headers.push({ path, snap });
    }

    const search = await compilerSearch(identity, includeSearchArgs(job.args, job.source).probeArgs, job.cwd, {
      env: this.env,
      language: prep.args.language,
    });
    if (search.failed || search.withoutArgs) {
      // Without the compiler's own list the entry could miss a directory: learn it from -E.
      const pp = await this.preprocess(job, identity, prep, opts, startedMs);
      if ('uncacheable' in pp) return pp;
      if ('failed' in pp) return notStored({ reason: 'preprocessor failed', detail: 'no include search list' });
      await this.storePreprocessed(job, prep, pp, preprocessorKey(prep.ctx, pp.out.hash), r);
      return null;
    }
    const searchDirs = [...prep.args.includeDirs, ...prep.env.includeDirs, ...search.dirs, ...search.missing];

    // gcc uses a precompiled header found beside an #include of the main file (or an
    // -include) and then lists neither it nor the header in the depfile: look for one.
    const pch = this.precompiledHeader(job, prep, searchDirs);
    if (pch) return { uncacheable: 'precompiled header', detail: `${pch} exists and would be used` };

    // The rest (directory listings, index writes) can wait until the caller has its answer.
    await this.afterAnswer(prep.key1, async () => {
      const { entry, problem } = await this.recordFor(job, prep, { mainFile: prep.args.source, headers, search }, '', startedMs);
      if (problem) return void notStored(problem);
      if (!entry) return void notStored({ reason: 'no direct entry', detail: 'a __has_include names a macro, or the hasher lags behind' });
      const key = dependKey(prep.key1, entry.headers);
      entry.result = key;
      entry.depend = true;
      await this.store.put('result', key, encodeResult({ object, depfile, depfileTarget: job.object, stderr: r.stderr, createdMs: Date.now(), headers: names }));
      await this.saveEntry(prep.key1, entry);
      this.noteSibling(prep);
    });
    return null;
  }

  /**
   * Runs the writing half of a store. With `storeInBackground` (the compilation
   * service's setting) it runs after the compile has answered its caller, so the
   * store's listings and index writes are off the build's critical path (the queue
   * slot, the link waiting for this object): a later lookup of the same key1 waits
   * for it (`storing`), statistics reads and flush() wait for it (CacheStats.track),
   * and the daemon's and the in-process CLI's close() flush, so none is lost at exit.
   * Without it (the default, and what the API's callers and tests expect), a compile
   * returns once everything is stored.
   */
  private async afterAnswer(key1: string, work: () => Promise<void>): Promise<void> {
    if (!this.storeInBackground) {
      await work().catch((e: unknown) => this.internalError(e));
      return;
    }
    const k = `${this.layout.store}\0${key1}`;
    const before = storing.get(k) ?? Promise.resolve();
    // Chained per key1: two stores of one manifest must not read-modify-write it at once.
    const done: Promise<void> = before
      // A macrotask later: the answer goes out first. Started at once, the work's
      // synchronous stretches would run among the answer's own continuations.
      .then(nextTurn)
      .then(work)
      .catch((e: unknown) => this.internalError(e))
      .finally(() => {
        if (storing.get(k) === done) storing.delete(k);
      });
    storing.set(k, done);
    this.stats.track(done);
  }

  /** The first `<dir>/<name>.gch` gcc could pick up for an #include of the source or an -include. */
  private precompiledHeader(job: CompileJob, prep: Prepared, searchDirs: readonly string[]): string | null {
    const names = [...(prep.src.facts.blind?.includes.map((i) => i.name) ?? []), ...prep.args.forcedIncludeNames];
    if (names.length === 0) return null;
    const dirs = new Set<string>([dirOfLiteral(prep.args.source), ...searchDirs]);
    if (prep.args.forcedIncludes) dirs.add('');
    // Grouped by the directory each candidate would be in: one listing look-up per directory.
    const byDir = new Map<string, { file: string; cand: string }[]>();
    for (const d of dirs) {
      for (const n of names) {
        const cand = `${joinLiteral(d, n)}.gch`;
        const abs = absLiteral(job.cwd, cand);
        const dir = dirOfLiteral(abs);
        let list = byDir.get(dir);
        if (!list) byDir.set(dir, (list = []));
        list.push({ file: abs.slice(abs.lastIndexOf('/') + 1), cand });
      }
    }
    for (const [dir, cands] of byDir) {
      const l = this.dirs.listSync(dir);
      if (!l) continue;
      for (const c of cands) if (l.names.has(c.file)) return c.cand;
    }
    return null;
  }

  /**
   * Enumerates what would change the preprocessor's choices (manifest.ts) and makes
   * the direct-mode entry. `entry` is null when the TU cannot have one (a macro
   * __has_include, a hasher that disagrees with the disk); `problem` is set when the
   * compile itself cannot be vouched for.
   */
  private async recordFor(
    job: CompileJob,
    prep: Prepared,
    seen: { mainFile: string; headers: { path: string; snap: FileSnapshot }[]; search: SearchList },
    result: string,
    referenceMs: number,
  ): Promise<{ entry: ManifestEntry | null; problem: Recorded['problem'] }> {
    const probes: { fromDir: string; name: string }[] = [];
    let directOk = true;
    for (const f of [{ path: prep.args.source, snap: prep.src }, ...seen.headers]) {
      // A probe whose name is a macro cannot be re-checked: preprocessor mode only.
      if (f.snap.facts.dynamicProbe) directOk = false;
      for (const p of f.snap.facts.probes) probes.push({ fromDir: dirOfLiteral(f.path), name: p.name });
    }
    if (this.customHasher && directOk) {
      // The hasher is what a lookup will trust; if it disagrees with the file now, it lags behind.
      for (const h of seen.headers) {
        const hp = isProjectPath(job.cwd, h.path) ? hasherPath(job.cwd, h.path) : null;
        if (!hp) continue;
        const theirs = prep.blind ? await this.hasher.commentBlindHash!(hp) : await this.hasher.hash(hp);
        if (theirs !== recordedHash(h.snap, prep.blind)) directOk = false;
      }
    }
    const rec = await recordEntry({
      cwd: job.cwd,
      result,
      mainFile: seen.mainFile,
      headers: seen.headers,
      probes,
      searchDirs: [...prep.args.includeDirs, ...prep.env.includeDirs, ...seen.search.dirs, ...seen.search.missing],
      forcedIncludes: prep.args.forcedIncludes,
      dirCache: this.dirs,
      referenceMs,
      racySlackMs: this.slack,
      blind: prep.blind,
    });
    return { entry: directOk ? rec.entry : null, problem: rec.problem };
  }

  private buildEntry(job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string): Promise<{ entry: ManifestEntry | null; problem: Recorded['problem'] }> {
    return this.recordFor(job, prep, { mainFile: pp.out.mainFile, headers: pp.headers, search: pp.search }, key2, pp.startedMs);
  }

  /** After a preprocessor-mode hit: the direct entry, if everything still holds. */
  private async addDirectEntry(job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string): Promise<void> {
    if (await this.changedSince(prep, pp)) return;
    const { entry, problem } = await this.buildEntry(job, prep, pp, key2);
    if (entry && !problem) await this.saveEntry(prep.key1, entry);
  }

  private noteSibling(prep: Prepared): void {
    if (this.siblings.size >= MAX_SIBLINGS) this.siblings.clear();
    this.siblings.add(keyS(prep));
  }

  // ---------------------------------------------------------------- manifests and results

  /**
   * The manifest of key1 and whether one was ever written (its index bucket exists:
   * also true for one found corrupt and removed). A manifest kept in memory is used
   * while its bucket and content file keep their stamps; our own touch of the content
   * (last use, for eviction) is re-stamped so it does not count as a change.
   */
  private async loadManifest(key1: string): Promise<{ manifest: Manifest | null; existed: boolean }> {
    const bucket = quickStat(this.store.bucketOf('manifest', key1));
    const known = this.manifests.get(key1);
    if (!bucket) {
      if (known) this.forgetManifest(key1);
      return { manifest: null, existed: false };
    }
    if (known && sameQuick(bucket, known.bucket)) {
      const content = quickStat(known.path);
      if (content && sameQuick(content, known.content)) {
        this.store.touchSync(known.path);
        known.content = quickStat(known.path) ?? content;
        this.manifests.delete(key1);
        this.manifests.set(key1, known);
        return { manifest: known.manifest, existed: true };
      }
    }
    if (known) this.forgetManifest(key1);
    const blob = await this.store.read('manifest', key1);
    if (!blob) return { manifest: null, existed: true };
    let manifest: Manifest;
    try {
      manifest = decodeManifest(blob.data);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      await this.store.discard('manifest', key1, e.message);
      return { manifest: null, existed: true };
    }
    this.rememberManifest(key1, manifest, bucket, blob.path, blob.data.length);
    return { manifest, existed: true };
  }

  private rememberManifest(key1: string, manifest: Manifest, bucket: QuickStat, path: string, bytes: number): void {
    const content = quickStat(path);
    if (!content) return;
    this.forgetManifest(key1);
    this.manifests.set(key1, { manifest, bucket, path, content, bytes });
    this.manifestBytes += bytes;
    for (const [k, m] of this.manifests) {
      if (this.manifestBytes <= this.manifestMemoBytes) break;
      this.manifests.delete(k);
      this.manifestBytes -= m.bytes;
    }
  }

  private forgetManifest(key1: string): void {
    const m = this.manifests.get(key1);
    if (!m) return;
    this.manifests.delete(key1);
    this.manifestBytes -= m.bytes;
  }

  private async saveEntry(key1: string, entry: ManifestEntry): Promise<void> {
    // Re-read (or re-validate) just before writing, so entries other processes added meanwhile are kept.
    const current = (await this.loadManifest(key1)).manifest;
    const next = addEntry(current, entry, this.maxEntries);
    const data = encodeManifest(next);
    const path = await this.store.put('manifest', key1, data);
    const bucket = quickStat(this.store.bucketOf('manifest', key1));
    if (path && bucket) this.rememberManifest(key1, next, bucket, path, data.length);
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
  private restore(job: CompileJob, identity: RunnerIdentity, r: StoredResult, t0: number): CompileResult {
    const objAbs = resolve(job.cwd, job.object);
    const depAbs = resolve(job.cwd, job.depfile);
    const depText = retargetDepfile(r.depfile, r.depfileTarget, job.object, (t) => parseDepfile(t));
    // One suffix for both, as the runner does, so a sweep of a killed writer's leftovers finds the pair.
    const suffix = tempSuffix();
    try {
      writeCreatingDir(depAbs + suffix, depText);
      writeCreatingDir(objAbs + suffix, r.object);
      renameSync(depAbs + suffix, depAbs);
      renameSync(objAbs + suffix, objAbs);
    } catch (e) {
      rmSync(depAbs + suffix, { force: true });
      rmSync(objAbs + suffix, { force: true });
      throw e;
    }
    const headers = r.headers ?? depfileHeaders(job, depText);
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
    // A full or read-only cache is not a fault of the cache: the user is told (guard.note()).
    if (this.guard.storeFailed(e)) {
      this.stats.notStored('cache not writable');
      this.log(`cache: not stored: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
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

/** The headers a depfile names: its prerequisites without the source (as the runner reports them). */
function depfileHeaders(job: CompileJob, depfile: string): string[] {
  const srcAbs = resolve(job.cwd, job.source);
  return parseDepfile(depfile).prereqs.filter((p) => p !== job.source && resolve(job.cwd, p) !== srcAbs);
}

/** writeFileSync, creating the directory only when it is missing (rm -rf build). */
function writeCreatingDir(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}
