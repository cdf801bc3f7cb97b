// Storing what a missed compile produced: its result under key2 (preprocessor mode) or
// under its depend key, and the direct-mode entry that finds it again (manifest.ts).
// What must reflect the moment right after the compile (did an input move? the
// object's bytes) is taken at once; the entry and the writes run in the background
// stores (background-stores.ts) once the caller has its answer.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { RunCompileOptions, RunnerIdentity } from '../toolchain/compile-runner.js';
import { compilerSearch, includeSearchArgs } from '../toolchain/compiler-search.js';
import type { FileSnapshot } from './fs-snapshot.js';
import { changedSince, mayOutwait, outwaitSource, sourceChanged, tooRecent } from './input-stability.js';
import { dependKey, preprocessorKey } from './keys.js';
import { absLiteral, dirOfLiteral, hasherPath, isProjectPath, joinLiteral } from './literal-paths.js';
import { recordedHash, type ManifestEntry } from './manifest.js';
import { recordEntry, type Recorded } from './manifest-record.js';
import type { CacheParts, NotCacheable, Prepared, Preprocessed } from './parts.js';
import type { SearchList } from './preprocess.js';
import { preprocessTu } from './preprocess-tu.js';

/** After a miss compiled with -E's knowledge: result under key2, direct entry. What
 *  must reflect the moment right after the compile (did an input move? the object's
 *  bytes) is taken now; the entry and the writes run after the caller has its answer. */
export async function storePreprocessed(c: CacheParts, job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string, r: CompileResult): Promise<void> {
  const srcWhy = sourceChanged(c, prep, pp.startedMs);
  const outwait = mayOutwait(c, srcWhy);
  const why = (outwait ? null : srcWhy) ?? (await changedSince(c, prep, pp, false));
  if (why) return void c.book.notStored(why, job.source);
  const object = readFileSync(resolve(job.cwd, job.object));
  if (object.length === 0) return void c.book.notStored({ reason: 'empty object file', detail: '' });
  const depfile = readFileSync(resolve(job.cwd, job.depfile), 'utf8');
  await c.background.run(prep.key1, async () => {
    const still = outwait && (await outwaitSource(c, prep, srcWhy!));
    if (still) return void c.book.notStored(still, job.source);
    // Also proves no file that would capture an include appeared while compiling.
    const { entry, problem } = await buildEntry(c, job, prep, pp, key2);
    if (problem) return void c.book.notStored(problem, job.source);
    await c.results.save(key2, { object, depfile, depfileTarget: job.object, stderr: r.stderr, createdMs: Date.now(), headers: r.headers });
    if (entry) await c.manifests.save(prep.key1, entry);
    c.siblings.note(prep);
  }, object.length + depfile.length);
}

/**
 * After a miss compiled without -E (depend mode): the entry from the depfile's
 * headers and the compiler's search list. Returns why the TU is uncacheable when
 * the compile showed it (a time macro in a header, a precompiled header in use).
 */
export async function storeDepend(c: CacheParts, job: CompileJob, identity: RunnerIdentity, prep: Prepared, startedMs: number, r: CompileResult, opts: RunCompileOptions): Promise<NotCacheable | null> {
  const srcWhy = sourceChanged(c, prep, startedMs);
  const outwait = mayOutwait(c, srcWhy);
  if (srcWhy && !outwait) return c.book.notStored(srcWhy, job.source);
  const object = readFileSync(resolve(job.cwd, job.object));
  if (object.length === 0) return c.book.notStored({ reason: 'empty object file', detail: 'the object is empty' }, job.source);
  const depfile = readFileSync(resolve(job.cwd, job.depfile), 'utf8');
  // The runner parsed this very depfile (compile-runner.ts): not parsed again.
  const names = r.headers;

  // What the compiler read, as it is now; anything touched since the compile began
  // may not be what the compiler saw (ccache's depend mode has the same rule).
  const headers: { path: string; snap: FileSnapshot }[] = [];
  for (const path of names) {
    const snap = c.files.getSync(absLiteral(job.cwd, path), prep.blind && isProjectPath(job.cwd, path));
    if (!snap || !snap.stable) return c.book.notStored({ reason: 'changed during compile', detail: `${path} changed during the compile` }, job.source);
    // A PCH holds the names of every builtin macro; the headers it was made from were checked when it was.
    if (snap.facts.timeMacro && path !== job.pch) return { uncacheable: '__DATE__/__TIME__', detail: `${path} uses ${snap.facts.timeMacro}` };
    const why = tooRecent(c, path, snap.stamp, startedMs);
    if (why) return c.book.notStored(why, job.source);
    headers.push({ path, snap });
  }

  const search = await compilerSearch(identity, includeSearchArgs(job.args, job.source).probeArgs, job.cwd, {
    env: c.env,
    language: prep.args.language,
  });
  if (search.failed || search.withoutArgs) {
    // Without the compiler's own list the entry could miss a directory: learn it from -E.
    const pp = await preprocessTu(c, job, identity, prep, opts, startedMs);
    if ('uncacheable' in pp) return pp;
    if ('failed' in pp) return c.book.notStored({ reason: 'preprocessor failed', detail: 'no include search list' }, job.source);
    await storePreprocessed(c, job, prep, pp, preprocessorKey(prep.ctx, pp.out.hash), r);
    return null;
  }
  const searchDirs = [...prep.args.includeDirs, ...prep.env.includeDirs, ...search.dirs, ...search.missing];

  // gcc uses a precompiled header found beside an #include of the main file (or an
  // -include) and then lists neither it nor the header in the depfile: look for one.
  const pch = precompiledHeader(c, job, prep, searchDirs);
  if (pch) return { uncacheable: 'precompiled header', detail: `${pch} exists and would be used` };

  // The rest (directory listings, index writes) can wait until the caller has its answer.
  await c.background.run(prep.key1, async () => {
    const still = outwait && (await outwaitSource(c, prep, srcWhy!));
    if (still) return void c.book.notStored(still, job.source);
    const { entry, problem } = await recordFor(c, job, prep, { mainFile: prep.args.source, headers, search }, '', startedMs);
    if (problem) return void c.book.notStored(problem, job.source);
    if (!entry) return void c.book.notStored({ reason: 'no direct entry', detail: 'a __has_include names a macro, or the hasher lags behind' }, job.source);
    const key = dependKey(prep.key1, entry.headers);
    entry.result = key;
    entry.depend = true;
    await c.results.save(key, { object, depfile, depfileTarget: job.object, stderr: r.stderr, createdMs: Date.now(), headers: names });
    await c.manifests.save(prep.key1, entry);
    c.siblings.note(prep);
  }, object.length + depfile.length);
  return null;
}

/** The first `<dir>/<name>.gch` gcc could pick up for an #include of the source or an -include. */
function precompiledHeader(c: CacheParts, job: CompileJob, prep: Prepared, searchDirs: readonly string[]): string | null {
  const names = [...(prep.src.facts.blind?.includes.map((i) => i.name) ?? []), ...prep.args.forcedIncludeNames];
  if (names.length === 0) return null;
  // The job's own PCH is listed in its depfile (compile-runner.ts): a header like any other.
  const ownPch = job.pch !== undefined ? absLiteral(job.cwd, job.pch) : null;
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
    const l = c.dirs.listSync(dir);
    if (!l) continue;
    for (const x of cands) if (l.names.has(x.file) && `${dir}/${x.file}` !== ownPch) return x.cand;
  }
  return null;
}

/**
 * Enumerates what would change the preprocessor's choices (manifest.ts) and makes
 * the direct-mode entry. `entry` is null when the TU cannot have one (a macro
 * __has_include, a hasher that disagrees with the disk); `problem` is set when the
 * compile itself cannot be vouched for.
 */
async function recordFor(
  c: CacheParts,
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
  if (c.customHasher && directOk) {
    // The hasher is what a lookup will trust; if it disagrees with the file now, it lags behind.
    for (const h of seen.headers) {
      const hp = isProjectPath(job.cwd, h.path) ? hasherPath(job.cwd, h.path) : null;
      if (!hp) continue;
      const theirs = prep.blind ? await c.hasher.commentBlindHash!(hp) : await c.hasher.hash(hp);
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
    dirCache: c.dirs,
    referenceMs,
    racySlackMs: c.slack,
    blind: prep.blind,
  });
  return { entry: directOk ? rec.entry : null, problem: rec.problem };
}

function buildEntry(c: CacheParts, job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string): Promise<{ entry: ManifestEntry | null; problem: Recorded['problem'] }> {
  return recordFor(c, job, prep, { mainFile: pp.out.mainFile, headers: pp.headers, search: pp.search }, key2, pp.startedMs);
}

/** After a preprocessor-mode hit: the direct entry, if everything still holds. */
export async function addDirectEntry(c: CacheParts, job: CompileJob, prep: Prepared, pp: Preprocessed, key2: string): Promise<void> {
  if (await changedSince(c, prep, pp)) return;
  const { entry, problem } = await buildEntry(c, job, prep, pp, key2);
  if (entry && !problem) await c.manifests.save(prep.key1, entry);
}
