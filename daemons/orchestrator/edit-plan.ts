// One edit should cost what changed, not what the project holds. After a complete
// build, the journal point vouches for everything the no-op fast path vouches for
// (journal-point.ts: the config, the compilers, what discovery does not watch, the
// outputs); an edit that only changes files' contents adds a list of paths to that.
// The last build's plan then still holds but for the TUs that read one of those
// paths: only they are looked at (hashed in full, as planBuild would), and the
// rest are up to date without a stat, as they are on a no-op. Anything else (a file
// come or gone, another config, compiler, scope or target list, a precompiled header
// in the plan, a leading #include changed, a path outside the project) plans in full.
import { isAbsolute, resolve } from 'node:path';
import type { ProjectConfig } from '../../config/types.js';
import type { ChangesResult } from '../../protocol/discovery.js';
import type { RebuildReason } from '../../protocol/trace.js';
import type { BuildStateReader, FileHashRecord, LinkRecord } from './build-state.js';
import type { FileHasher } from './file-hasher.js';
import { stillUpToDate, type JournalPoint } from './journal-point.js';
import { leadingIncludesUnchanged } from './pch-plan.js';
import { EditReaders } from './edit-readers.js';
import { hashInputs, tuPlanOf, tuReason, type BuildPlan, type LinkPlan, type TuPlan } from './planner.js';
import type { WatchCoverage } from './watch-coverage.js';
import { keptTusOf } from './kept-plan.js';

/** A build's plan, kept with what it was made for. */
export interface KeptPlan {
  plan: BuildPlan;
  config: ProjectConfig;
  /** The request's target list (JSON), and the compilers' ids, it was planned with. */
  targets: string;
  compilersId: string;
}

export interface EditPlanInput {
  kept: KeptPlan | null;
  point: JournalPoint | null;
  changes: ChangesResult | null;
  coverage: WatchCoverage | null;
  config: ProjectConfig;
  configGeneration: number;
  /** The request's targets, and the selection they resolve to (with deps). */
  targets: readonly string[];
  selected: readonly string[];
  compilersId: string;
  state: BuildStateReader;
  hasher: FileHasher;
  forceDirty: ReadonlyMap<string, RebuildReason>;
  build_id: string;
}

/** What the orchestrator keeps of a build's plan (kept-plan.ts); `build_id`: the build's,
 *  which runs from the kept plan (its TUs' jobs carry it). */
export function keepPlan(plan: BuildPlan, config: ProjectConfig, targets: string, compilersId: string, build_id: string): KeptPlan {
  const kept = keptTusOf(plan, config, build_id);
  // The same TUs in the same order: an edit's readers carry to the next edit.
  const readers = readersOf.get(plan);
  if (readers && kept !== plan) readersOf.set(kept, readers);
  return { plan: kept, config, targets, compilersId };
}

/** The plan of an edit made from the last build's, or null when it must be planned in full. */
export async function planFromLast(input: EditPlanInput): Promise<BuildPlan | null> {
  const { kept, point, changes, coverage, config } = input;
  if (!kept || !point?.complete || !changes?.complete || !coverage) return null;
  if (kept.config !== config || kept.targets !== JSON.stringify(input.targets) || kept.compilersId !== input.compilersId) return null;
  if (changes.journal_id !== point.journal_id || point.scope !== coverage.key) return null;
  if (input.configGeneration !== point.config_generation || input.compilersId !== point.compiler_id) return null;
  if (!input.selected.every((t) => point.targets.has(t))) return null;
  // A file come or gone may be a new source, or shadow a header: the full plan looks.
  if (changes.changes.length === 0 || changes.changes.some((c) => c.kind !== 'changed')) return null;
  // Headers outside the project may sit in a PCH's prefix, judged by their text (pch-plan.ts).
  if (changes.changes.some((c) => c.path === '' || c.path.startsWith('../') || isAbsolute(c.path))) return null;
  const plan = kept.plan;
  // What a PCH's use depends on (its users' times, its own record) is not followed here.
  if (plan.pch_uses.length > 0 || plan.pchs.length > 0) return null;
  const changed = new Set(changes.changes.map((c) => c.path));
  const changedAbs = new Set([...changed].map((k) => resolve(config.root, k)));
  // Asked for every source and header of every TU: answered once per path (the TUs share
  // most headers), and whether the journal covers it only for the few it names.
  const answers = new Map<string, boolean>();
  // Nearly every path asked about is not among the few changed: a file name none of them
  // has rules it out without resolve() (20,000 sources and their headers, each asked once).
  const changedNames = new Set([...changedAbs].map((a) => a.slice(a.lastIndexOf('/') + 1)));
  const changedNow = (p: string): boolean => {
    const name = p.slice(p.lastIndexOf('/') + 1);
    if (name !== '' && name !== '.' && name !== '..' && !changedNames.has(name)) return false;
    return changedAbs.has(resolve(config.root, p)) && coverage.covers(p) && changed.has(coverage.keyOf(p));
  };
  const isChanged = (p: string): boolean => {
    let a = answers.get(p);
    if (a === undefined) answers.set(p, (a = changedNow(p)));
    return a;
  };
  // A source of a target that may get a PCH: its leading #includes decide the PCH layout.
  const autoSources = new Set(plan.targets.filter((t) => t.pch === 'auto').flatMap((t) => t.sources));
  for (const c of changed) if (autoSources.has(c) && !leadingIncludesUnchanged(config.root, c)) return null;
  // What the journal does not cover, and the outputs, as on a no-op.
  if (!(await stillUpToDate(point, config, input.selected, coverage, input.hasher))) return null;
  // Only the TUs that read a changed file are looked at, found by the files (edit-readers.ts).
  const carried = readersOf.get(plan);
  const readers = carried ?? EditReaders.of(config.root, plan.tus, input.state);
  // What the last build compiled reads what its records say now.
  if (carried) for (let i = 0; i < plan.tus.length; i++) if (plan.tus[i]!.dirty) carried.add(i, plan.tus[i]!, input.state);
  const tus: TuPlan[] = plan.tus.map((tu) => (tu.dirty ? tuPlanOf(tu, null) : tu));
  const look: number[] = [];
  const forced = [...input.forceDirty.keys()].map((src) => resolve(config.root, src));
  for (const i of [...readers.readersOf([...changedAbs, ...forced])].sort((a, b) => a - b)) {
    const tu = tus[i]!;
    const rec = input.state.getObject(tu.object);
    if (!rec || input.forceDirty.has(tu.source) || isChanged(tu.source) || rec.headers.some((h) => isChanged(h.path))) look.push(i);
  }
  await Promise.all(
    look.map(async (i) => {
      const tu = tus[i]!;
      const reason = await tuReason(tu, input.state.getObject(tu.object), tu.compiler_id, input.hasher, { forceDirty: input.forceDirty });
      if (reason !== null) tus[i] = tuPlanOf(tu, reason, { ...tu.job, build_id: input.build_id });
    }),
  );
  const relinking = new Set<string>();
  const links: LinkPlan[] = plan.links.map((l) => {
    const t = plan.targets.find((x) => x.name === l.target)!;
    const dirtyTu = tus.find((u) => u.target === l.target && u.dirty);
    const dep = t.kind === 'static' ? undefined : t.link_deps.find((d) => relinking.has(d));
    const reason: RebuildReason | null = dirtyTu
      ? { kind: 'object-recompiled', object: dirtyTu.object }
      : dep !== undefined
        ? { kind: 'dependency-relinked', target: dep }
        : null;
    if (reason !== null) relinking.add(l.target);
    return { ...l, relink: reason !== null, reason };
  });
  // A link takes the objects this build does not compile as they are, unlooked at: one
  // deleted by hand fails it, and the build is planned again in full, which compiles it
  // (build-engine.ts, build-retry.ts). Not listed here: before the compile, on its path.
  const next: BuildPlan = { ...plan, tus, links, dirty_tus: tus.filter((u) => u.dirty).length, relinks: relinking.size, from_last: true };
  readersOf.set(next, readers); // its TUs in the same order: the next edit's
  return next;
}

/** The readers of a plan's TUs, for an edit planned from it. */
const readersOf = new WeakMap<BuildPlan, EditReaders>();

/** Makes the readers of a plan made in full after its build (its after-work), so that the
 *  first edit planned from it does not walk every TU's headers on its own path. */
export function prepareReaders(plan: BuildPlan, root: string, state: BuildStateReader): void {
  if (plan.pch_uses.length > 0 || plan.pchs.length > 0 || readersOf.has(plan)) return; // never planned from (planFromLast)
  readersOf.set(plan, EditReaders.of(root, plan.tus, state));
}

/** The hashes a link's inputs are judged by: for a plan made from the last build's, an
 *  object of a TU it did not compile has the hash the last link recorded, its very record
 *  (one edit at 20,000 TUs spares 20,000 stats, promises and records); anything else is
 *  hashed. `objects`: the target's own (its TUs'), then `others` (what it links of other targets). */
export async function linkInputHashes(
  plan: BuildPlan,
  rec: LinkRecord | undefined,
  objects: readonly string[],
  others: readonly string[],
  hasher: FileHasher,
): Promise<FileHashRecord[]> {
  const paths = [...objects, ...others];
  if (!plan.from_last || !rec) return hashInputs(paths, hasher);
  const dirty = new Set(plan.tus.filter((u) => u.dirty).map((u) => u.object));
  // The same list as last time, in the same order, but for a source come or gone (which
  // plans in full): looked up by index, by path when not.
  const sameOrder = rec.inputs.length === paths.length;
  let byPath: Map<string, FileHashRecord> | null = null;
  const out = new Array<FileHashRecord>(paths.length);
  const reading: Promise<void>[] = [];
  for (let i = 0; i < paths.length; i++) {
    const path = paths[i]!;
    if (i < objects.length && !dirty.has(path)) {
      const r = sameOrder && rec.inputs[i]!.path === path ? rec.inputs[i] : (byPath ??= new Map(rec.inputs.map((x) => [x.path, x]))).get(path);
      if (r && r.hash !== '') {
        out[i] = r;
        continue;
      }
    }
    reading.push(hasher.hash(path).then((hash) => void (out[i] = { path, hash: hash ?? '' })));
  }
  await Promise.all(reading);
  return out;
}
