// The flows of the compile cache's modes (mode-policy.ts says which runs when): a
// direct-mode look-up, preprocessor mode (-E first), depend mode (compile first), and
// the compiles the cache stays out of.

import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { CacheMiss } from '../protocol/trace.js';
import type { RunCompileOptions, RunnerIdentity } from '../toolchain/compile-runner.js';
import type { UncacheableReason } from './args.js';
import { preprocessorKey } from './keys.js';
import type { Manifest } from './manifest.js';
import { EntryChecker } from './manifest-check.js';
import { keyedByPreprocessing, mustPreprocess, preprocessBeside } from './mode-policy.js';
import { isAbort, type CacheParts, type CompileRunner, type NotCacheable, type Prepared, type Preprocessed, type PreprocessOutcome } from './parts.js';
import { preprocessTu } from './preprocess-tu.js';
import { addDirectEntry, storeDepend, storePreprocessed } from './recording.js';

/** A hit, or the checker that found every entry stale (its stats are memoized). */
export async function directLookup(c: CacheParts, job: CompileJob, identity: RunnerIdentity, prep: Prepared, manifest: Manifest, t0: number): Promise<CompileResult | EntryChecker> {
  const shared = c.buildStats.forBuild(job.build_id, t0Ms(t0));
  const checker = new EntryChecker(job.cwd, c.hasher, c.files, c.dirs, shared.stats, shared.stamps);
  for (const entry of manifest.entries) {
    if ((await checker.check(entry)) !== null) continue;
    const stored = await c.results.load(entry.result);
    const out = stored && (await c.results.restore(job, identity, entry.result, stored, t0));
    if (!out) {
      checker.noteStale('the result of a matching entry is gone (evicted or corrupt)');
      continue;
    }
    c.book.hit('direct', out.duration_ms);
    // Less the racy margin: a file's times come from a coarse clock, so a write just after
    // the first stat can carry a time just before it.
    return { ...out, inputs_checked_ms: shared.sinceMs - c.slack, cache: { mode: 'direct' } };
  }
  return checker;
}

/** Date.now() as of performance.now() reading `t0`. */
function t0Ms(t0: number): number {
  return Date.now() - (performance.now() - t0);
}

/** -E first; key2 → result; else compile and store under key2. */
export async function preprocessorMode(c: CacheParts, job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, prep: Prepared, t0: number, miss: CacheMiss): Promise<CompileResult> {
  let pp: PreprocessOutcome;
  let key2: string;
  try {
    pp = await preprocessTu(c, job, identity, prep, opts);
    if ('uncacheable' in pp) return passThrough(c, pp.uncacheable, pp.detail, job, identity, run, opts);
    if ('failed' in pp) {
      // The compile will fail the same way and say why in the user's own terms.
      const r = await run(job, identity, opts);
      if (r.outcome === 'compiled') c.book.uncacheable('preprocessor failed');
      else c.book.miss(r, t0, 'preprocessor failed');
      return { ...r, cache: { mode: 'uncacheable', detail: 'the preprocessor failed' } };
    }
    key2 = preprocessorKey(prep.ctx, pp.out.hash);
    const stored = await c.results.load(key2);
    const out = stored && (await c.results.restore(job, identity, key2, stored, t0));
    if (out) {
      c.book.hit('preprocessed', out.duration_ms);
      const seen: Preprocessed = pp;
      await c.background.run(prep.key1, () => addDirectEntry(c, job, prep, seen, key2));
      return { ...out, cache: { mode: 'preprocessed' } };
    }
  } catch (e) {
    if (isAbort(e)) throw e;
    return afterInternalError(c, e, job, identity, run, opts);
  }

  // Compile, then store what it produced if nothing moved underneath it.
  const r: CompileResult = { ...(await run(job, identity, opts)), cache: { mode: 'preprocessor', miss } };
  c.book.miss(r, t0, `${job.source}: miss`);
  if (r.outcome !== 'compiled') return r;
  try {
    await storePreprocessed(c, job, prep, pp, key2, r);
  } catch (e) {
    if (isAbort(e)) throw e;
    c.book.internalError(e);
  }
  return r;
}

/** Compile now; the entry comes from the depfile (or from an -E run beside the compile). */
export async function dependMode(c: CacheParts, job: CompileJob, identity: RunnerIdentity, run: CompileRunner, opts: RunCompileOptions, prep: Prepared, t0: number, miss: CacheMiss): Promise<CompileResult> {
  const needE = mustPreprocess(prep);
  // Its key2 could never be looked up (mode-policy.ts, missMode).
  const spare = keyedByPreprocessing(prep) && preprocessBeside(c.alongside);
  const startedMs = Date.now();
  let beside: Promise<PreprocessOutcome | { error: unknown }> | null = null;
  // The compile is spawned first: it is the critical path, and each spawn blocks this thread for a few ms.
  const compiling = run(job, identity, opts);
  if (needE || spare) beside = preprocessTu(c, job, identity, prep, opts, startedMs).catch((error: unknown) => ({ error }));
  let r: CompileResult;
  try {
    r = { ...(await compiling), cache: { mode: 'depend', miss } };
  } finally {
    // Never leave the -E behind (a cancelled build kills it through the same signal).
    await beside;
  }
  const pp = beside ? await beside : null;
  if (r.outcome !== 'compiled') {
    c.book.miss(r, t0, `${job.source}: miss`);
    return r;
  }
  let unc: NotCacheable | null = null;
  try {
    if (pp && 'error' in pp) {
      if (isAbort(pp.error)) throw pp.error;
      c.book.internalError(pp.error); // and go on as if it had not run
    }
    if (pp && 'uncacheable' in pp) {
      unc = pp;
    } else if (pp && 'out' in pp) {
      await storePreprocessed(c, job, prep, pp, preprocessorKey(prep.ctx, pp.out.hash), r);
    } else if (needE) {
      c.book.notStored({ reason: 'preprocessor failed', detail: '' });
    } else {
      unc = await storeDepend(c, job, identity, prep, startedMs, r, opts);
    }
  } catch (e) {
    if (isAbort(e)) throw e;
    c.book.internalError(e);
  }
  if (unc) {
    c.book.uncacheable(unc.uncacheable, `${job.source} not cached: ${unc.detail}`);
    return { ...r, uncacheable_reason: unc.detail, cache: { mode: 'uncacheable', detail: unc.detail } };
  }
  c.book.miss(r, t0, `${job.source}: miss (depend mode)`);
  return r;
}

/** A compile the cache does not serve: counted under its reason, compiled. */
export async function passThrough(
  c: CacheParts,
  reason: UncacheableReason,
  detail: string,
  job: CompileJob,
  identity: RunnerIdentity,
  run: CompileRunner,
  opts: RunCompileOptions,
): Promise<CompileResult> {
  c.book.uncacheable(reason);
  const r = await run(job, identity, opts);
  return { ...r, uncacheable_reason: detail, cache: { mode: 'uncacheable', detail } };
}

/** A failure of the cache itself must not fail the build: count it and compile. */
export async function afterInternalError(
  c: CacheParts,
  e: unknown,
  job: CompileJob,
  identity: RunnerIdentity,
  run: CompileRunner,
  opts: RunCompileOptions,
): Promise<CompileResult> {
  c.book.internalError(e);
  return { ...(await run(job, identity, opts)), cache: { mode: 'error' } };
}
