// What a finished compile read, as the build state records it: each file's hash,
// or "" (unknown) where the file may have changed while the compiler ran, and what
// would shadow its headers. Taken out of the build engine because the PCH steps
// record their compiles the same way.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CompileResult } from '../../protocol/build.js';
import type { BuildState, FileHashRecord, ObjectRecord, SearchContext } from './build-state.js';
import type { FileHasher, HashWithTime } from './file-hasher.js';
import type { ShadowRecorder } from './include-search.js';
import type { TuPlan } from './planner.js';

/** Whether a file may have changed after `sinceMs` (Date.now() just before the compile).
 *  A file written before that moment always has an older timestamp (the kernel's file
 *  clock lags, never leads), but Date.now() drops the sub-millisecond part: hence +1.
 *  A write in the first tick after the start can slip through, but that is before the
 *  compiler (not even exec'd yet) can have read the file, so it read the new content. */
function changedSince(abs: string, sinceMs: number): boolean {
  const st = statSync(abs, { throwIfNoEntry: false });
  return !st || Math.max(st.mtimeMs, st.ctimeMs) >= sinceMs + 1;
}

export interface ObjectRecorderDeps {
  root: string;
  state: BuildState;
  hasher: FileHasher;
  /** The build's own outputs' hashes (output-hashes.ts): an object is read once per build. */
  outputs: Pick<FileHasher, 'hash'>;
  shadow: ShadowRecorder;
}

/** Hashes of the files the last compile of `tu` read, taken just before compiling it again
 *  (by the build, or ahead of it: compile-ahead.ts). */
export async function inputsBefore(tu: Pick<TuPlan, 'source' | 'object'>, state: Pick<BuildState, 'getObject'>, hasher: FileHasher): Promise<Map<string, string | null>> {
  const prev = state.getObject(tu.object);
  const paths = [tu.source, ...(prev?.headers.map((h) => h.path) ?? [])];
  const hashes = await Promise.all(paths.map((p) => hasher.hash(p)));
  return new Map(paths.map((p, i) => [p, hashes[i]!]));
}

/** One build's recorder: its memo of header stats lives as long as the build. */
export function objectRecorder({ root, state, hasher, outputs, shadow }: ObjectRecorderDeps) {
  const hashBefore = (tu: TuPlan): Promise<Map<string, string | null>> => inputsBefore(tu, state, hasher);

  // The headers' hashes and times as first seen in this build: a clean rebuild records
  // the same few hundred headers for every TU. Sound with a stat older than the TU: a
  // file changed after it is recorded with its older hash (the next build rebuilds), and
  // one changed before it shows that change in its time, as a fresh stat would.
  const seenInBuild = new Map<string, Promise<HashWithTime | null>>();
  // The same answers once settled: a hit's headers are then judged without a promise
  // each (68 a TU in the heavy tree, most of a warm clean rebuild's garbage here).
  const settledInBuild = new Map<string, HashWithTime | null>();
  const hashWithTimeInBuild = (p: string): Promise<HashWithTime | null> => {
    let r = seenInBuild.get(p);
    if (!r) {
      seenInBuild.set(p, (r = hasher.hashWithTime!(p)));
      r.then((v) => settledInBuild.set(p, v), () => undefined);
    }
    return r;
  };
  /** The recorded hash of a header seen before in this build: '' (unknown) when it may
   *  have changed after `seenMs`; undefined while its first answer is not in. */
  const settledHash = (p: string, seenMs: number): string | undefined => {
    const ht = settledInBuild.get(p);
    if (ht === undefined) return undefined;
    return ht === null || ht.newestMs >= seenMs + 1 ? '' : ht.hash;
  };

  // A file that changed while the compiler ran is recorded with hash "" (unknown), which
  // never matches, so the next build compiles it again instead of trusting an object
  // built from the old content. Where we hashed the file before the compile, content
  // decides; for a header new to this TU, its timestamps do.
  const record = async (
    tu: TuPlan,
    res: CompileResult,
    before: Map<string, string | null>,
    sinceMs: number,
  ): Promise<{ rec: ObjectRecord; search: SearchContext } | null> => {
    // A hit may stand on stats taken earlier in the build (cache/build-stats.ts): what
    // changed since then may have changed after it was looked at, so `before` (taken
    // at this TU's start) cannot vouch for it either; timestamps decide.
    const seenMs = Math.min(sinceMs, res.inputs_checked_ms ?? sinceMs);
    const fileHash = async (p: string): Promise<string> => {
      const pre = before.get(p);
      if (pre !== undefined && seenMs !== sinceMs && hasher.hashWithTime) {
        // A hit checked earlier (the source of every TU of a warm clean rebuild): content
        // and time both decide, from one stat.
        const ht = await hasher.hashWithTime(p);
        return ht === null || ht.hash !== pre || ht.newestMs >= seenMs + 1 ? '' : ht.hash;
      }
      if (pre !== undefined || !hasher.hashWithTime) {
        const h = await hasher.hash(p);
        if (h === null) return '';
        if (pre !== undefined && pre !== h) return '';
        if (pre !== undefined && seenMs === sinceMs) return h;
        return changedSince(resolve(root, p), seenMs) ? '' : h;
      }
      // One stat for both questions: hundreds of headers per TU in a clean rebuild.
      await hashWithTimeInBuild(p);
      return settledHash(p, seenMs)!;
    };
    /** fileHash without awaiting when the answer is already known (a header an earlier TU
     *  of this build had: the same rule, the same answer). */
    const knownHash = (p: string): string | undefined => (before.has(p) || !hasher.hashWithTime ? undefined : settledHash(p, seenMs));
    const objectHash = await outputs.hash(tu.object);
    if (objectHash === null) return null;
    const headerPaths = [...new Set(res.headers)];
    const headerHashes: (string | undefined)[] = headerPaths.map(knownHash);
    const waits: Promise<void>[] = [];
    headerHashes.forEach((h, i) => {
      if (h === undefined) waits.push(fileHash(headerPaths[i]!).then((v) => void (headerHashes[i] = v)));
    });
    const [source_hash] = await Promise.all([fileHash(tu.source), ...waits]);
    const headers: FileHashRecord[] = headerPaths.map((path, i) => ({ path, hash: headerHashes[i]! }));
    // What would shadow these headers, so the next plan can look for it.
    const search = await shadow.describe(tu.job, headerPaths, seenMs);
    const rec: ObjectRecord = {
      command_hash: tu.command_hash,
      // The compile may have run with another compiler than planned (replaced mid-build):
      // record the one it used, so the next plan sees the difference.
      // The plan's instance when the same: a reply's copy would be kept once per TU.
      compiler_id: res.compiler_id && res.compiler_id !== tu.compiler_id ? res.compiler_id : tu.compiler_id,
      source: tu.source,
      source_hash,
      headers,
      object_hash: objectHash,
    };
    if (search.skip.length) rec.shadow_skip = search.skip;
    return { rec, search: search.context };
  };
  return { hashBefore, record };
}
