// What the orchestrator remembers of its last build so that the next one can
// plan from the discovery journal alone: the epoch the build started from, and
// the facts a journal cannot vouch for (config, compiler, outputs, and whatever
// lies where discovery does not watch: see watch-coverage.ts).
//
// The no-op fast path answers "nothing changed" only if nothing could have: every
// file a TU read is either watched or hashed (stat-cached), and every directory in
// which a new file could shadow one it read is either watched (an added file is in
// the journal) or stat'ed: a file created or removed in a directory changes the
// directory's mtime. A handful of directory stats per build, never a hash of every header.
// A precompiled header the build made (pch-plan.ts) is an output, stamped like one; what
// it was made from is in its own record, added as a TU's headers are.
import { lstatSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { dirOfLiteral } from '../../cache/literal-paths.js';
import { isRacyTime } from '../../fs/racy.js';
import { kindOf, newestMsOf, stampKeyOf } from '../../fs/stat-stamp.js';
import type { ChangesResult } from '../../protocol/discovery.js';
import type { ProjectConfig } from '../../config/types.js';
import type { BuildSummary } from '../../protocol/build.js';
import type { ConfigSnapshot } from '../../protocol/setup.js';
import { CONFIG_FILE_KEYS, isWithin } from '../common/watch-scope.js';
import type { BuildStateReader, ObjectRecord } from './build-state.js';
import { objectPathFor } from '../../toolchain/compile-args.js';
import { isPchHeaderOf, pchDirOf } from '../../toolchain/pch-jobs.js';
import type { FileHasher } from './file-hasher.js';
import { storedShadowCandidates } from './include-search.js';
import type { WatchCoverage } from './watch-coverage.js';

export interface JournalPoint {
  epoch: number;
  journal_id: string;
  config_generation: number;
  compiler_id: string;
  /** WatchCoverage.key of the scope the journal covered: another scope, another point. */
  scope: string;
  /** Targets the build covered (with their deps). */
  targets: Set<string>;
  tu_count: number;
  /** Whether that build left everything up to date (ok, nothing failed or cancelled). */
  complete: boolean;
  /** Sources and headers the journal does not cover, with their hashes. */
  unwatched: Map<string, string>;
  /** Precompiled headers the build made, with their stat stamps (fileStamp): vouched for
   *  as outputs, like objects, not hashed as inputs; their inputs are in `unwatched`. */
  outputs: Map<string, string>;
  /** Directories (absolute) the journal does not cover in which a new file could shadow
   *  a header a TU read, with their stamps (dirStamp). */
  dirs: Map<string, string>;
  /** The config the build ran with, and what vouches that it still holds without asking
   *  setup (configStillHolds); null when the journal cannot vouch for the config files. */
  config: { snapshot: ConfigSnapshot; sourceDirs: Map<string, string>; configFiles: Map<string, string> } | null;
}

/** The journal's vouching, as the planner takes it: null when it cannot vouch at all. */
export function unchangedPredicate(
  point: JournalPoint | null,
  changes: ChangesResult | null,
  selected: readonly string[],
  coverage: WatchCoverage | null,
): ((p: string) => boolean) | null {
  if (!point || !coverage || !changes?.complete || changes.journal_id !== point.journal_id) return null;
  // A path watched now may not have been watched all along.
  if (point.scope !== coverage.key) return null;
  // Records of targets the last build did not cover may predate its epoch.
  if (!selected.every((t) => point.targets.has(t))) return null;
  const changed = new Set(changes.changes.map((c) => c.path));
  return (p) => coverage.covers(p) && !changed.has(coverage.keyOf(p));
}

/** Whether the last build's point still holds with nothing in the journal: a no-op
 *  needs only the outputs to exist, and what the journal does not cover to be the same. */
export async function stillUpToDate(
  point: JournalPoint,
  config: ProjectConfig,
  selected: readonly string[],
  coverage: WatchCoverage,
  hasher: FileHasher,
): Promise<boolean> {
  if (point.scope !== coverage.key) return false;
  for (const t of config.targets) {
    if (!selected.includes(t.name)) continue;
    try {
      statSync(resolve(config.root, t.output));
    } catch {
      return false;
    }
  }
  if (!stampsUnchanged(point.dirs)) return false;
  for (const [p, stamp] of point.outputs) if (fileStamp(resolve(config.root, p)) !== stamp) return false;
  const paths = [...point.unwatched.keys()];
  const now = await Promise.all(paths.map((p) => hasher.hash(p)));
  return paths.every((p, i) => now[i] === point.unwatched.get(p));
}

/** What a point must check itself for the selected targets' TUs, from the state; null
 *  if anything lacks a trustworthy record (then no point is kept and the next build
 *  plans in full, which looks at everything). */
export function unwatchedFacts(
  config: ProjectConfig,
  selected: readonly string[],
  state: BuildStateReader,
  coverage: WatchCoverage,
  /** Date.now() when the build began: a dir changed since may have changed after it was looked at. */
  sinceMs: number,
): Pick<JournalPoint, 'unwatched' | 'dirs' | 'outputs'> | null {
  const unwatched = new Map<string, string>();
  const dirs = new Map<string, string>();
  const outputs = new Map<string, string>();
  const seen = new Map<string, Set<string>>();
  // WatchCoverage answers each path once per build (the TUs share most headers); each
  // directory is asked about and stat'ed once per point: the candidates of the
  // compiler's own dirs repeat the same missing dirs and their parents for every header.
  const covers = (p: string): boolean => coverage.covers(p);
  const stamps = new Map<string, string>();
  const stampOf = (abs: string): string => {
    let stamp = stamps.get(abs);
    if (stamp === undefined) stamps.set(abs, (stamp = dirStamp(abs, sinceMs)));
    return stamp;
  };
  const asked = new Set<string>();
  // The build's own PCH dirs (pch-plan.ts) are quote dirs only for the #includes of the
  // generated headers in them, which are angled or absolute: no file there, nor below,
  // is ever found in place of a header. They change with every PCH the build makes, so
  // their stamps would be racy right after it, and the next no-op would plan in full.
  const pchDirs = config.targets.filter((t) => selected.includes(t.name)).map((t) => resolve(config.root, pchDirOf(config, t.name)));
  const watchDir = (dir: string) => {
    let abs = resolve(config.root, dir);
    if (asked.has(abs)) return;
    asked.add(abs);
    if (pchDirs.some((d) => isWithin(abs, d))) return;
    // A missing dir: its creation changes its nearest existing ancestor.
    let stamp = stampOf(abs);
    while (stamp === ABSENT && dirname(abs) !== abs) stamp = stampOf((abs = dirname(abs)));
    dirs.set(abs, stamp);
  };
  /** The inputs of one record (a TU's object or a PCH) into the point; false if it lacks a trustworthy record. */
  const addInputs = (source: string, rec: ObjectRecord | undefined, isPch: (gch: string) => boolean, pchs: Set<string>): boolean => {
    const search = rec?.search !== undefined ? state.getSearch?.(rec.search) : undefined;
    if (!rec || !search || rec.source_hash === '') return false;
    if (!covers(source)) unwatched.set(source, rec.source_hash);
    // Most TUs share one search context: the headers looked up in it are kept per context.
    let seenHere = seen.get(rec.search!);
    if (!seenHere) seen.set(rec.search!, (seenHere = new Set()));
    for (const h of rec.headers) {
      if (isPch(h.path)) {
        // Made by this build from the inputs its own record lists (added below).
        pchs.add(h.path);
        continue;
      }
      if (!covers(h.path)) {
        if (h.hash === '') return false;
        unwatched.set(h.path, h.hash);
      }
      // Where a new file would be found before this header (include-search.ts).
      if (seenHere.has(h.path)) continue;
      seenHere.add(h.path);
      for (const c of storedShadowCandidates(rec.search!, search, h.path)) if (!covers(c)) watchDir(dirOfLiteral(c) || '.');
    }
    return true;
  };
  for (const t of config.targets) {
    if (!selected.includes(t.name)) continue;
    const isPch = (p: string) => p.endsWith('.gch') && isPchHeaderOf(config, t, p.slice(0, -'.gch'.length));
    const pchs = new Set<string>();
    for (const source of t.sources) {
      if (!addInputs(source, state.getObject(objectPathFor(t, source)), isPch, pchs)) return null;
    }
    // A user's depfile names the .gch, not the headers inside it: those are the PCH's own
    // record's, and an edit of one must be seen here as it is in the TU's own headers.
    for (const gch of pchs) {
      const stamp = fileStamp(resolve(config.root, gch));
      const rec = state.getObject(gch);
      if (stamp === RACY || stamp === ABSENT || !rec || !addInputs(rec.source, rec, isPch, pchs)) return null;
      outputs.set(gch, stamp);
    }
  }
  return { unwatched, dirs, outputs };
}

/** Whether each output stamped in `point` still has the content its record says the
 *  build made (object_hash): the stamps are taken after the build's answer, when
 *  anything may have replaced an output, so each is vouched for by its content, read
 *  after the stamp (a change after that changes the stamp). Once per point. */
export async function outputsAsBuilt(point: JournalPoint, state: BuildStateReader, hasher: FileHasher): Promise<boolean> {
  for (const p of point.outputs.keys()) {
    const made = state.getObject(p)?.object_hash;
    if (made === undefined || (await hasher.hash(p)) !== made) return false;
  }
  return true;
}

/** An output's stat (not through symlinks: the build writes files): any rewrite, rename
 *  over or removal changes it. Not judged racy: as objects, which a no-op does not check
 *  at all, only the build writes it; outputsAsBuilt checks what the stamp was taken of. */
function fileStamp(abs: string): string {
  try {
    const st = lstatSync(abs, { bigint: true });
    return `${kindOf(st)}:${stampKeyOf(st)}`;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? ABSENT : RACY;
  }
}

/** Whether each path (a dir, or a config file: dirStamp stats either) has its stamp still. */
function stampsUnchanged(stamps: ReadonlyMap<string, string>): boolean {
  for (const [path, stamp] of stamps) if (stamp === RACY || dirStamp(path) !== stamp) return false;
  return true;
}

/**
 * The config a build can run with without asking setup: the last build's, when the
 * journal says neither TOML file changed and no file came or went since (an edit of
 * existing sources and headers is fine), the TOML files' own stamps are as they were
 * (belt and braces: what setup reads is vouched for by its stat, as setup itself does),
 * and no source directory changed (a new file there may match a glob even where the
 * journal does not report it: an ignored name, a directory outside the watched roots).
 * Setup re-reads on exactly these (daemons/setup/service.ts), and rescans only when
 * files come or go, so it would answer the same snapshot; a build so costs a handful of
 * stats and no round trip, whatever the tree's size.
 */
export function configStillHolds(point: JournalPoint | null, changes: ChangesResult | null, coverage: WatchCoverage | null): ConfigSnapshot | null {
  const held = point?.config;
  if (!held || !coverage || point.scope !== coverage.key) return null;
  if (!changes?.complete || changes.journal_id !== point.journal_id) return null;
  if (changes.changes.length > 0) {
    const configKeys = new Set(CONFIG_FILE_KEYS.map((f) => coverage.keyOf(f)));
    if (!changes.changes.every((c) => c.kind === 'changed' && !configKeys.has(c.path))) return null;
  }
  return stampsUnchanged(held.configFiles) && stampsUnchanged(held.sourceDirs) ? held.snapshot : null;
}

/** What configStillHolds needs, taken when a build's point is made: null when discovery
 *  does not watch both config files. The source dirs and config files are stamped against
 *  `sinceMs` (when the build began, before setup was asked), so one changed after setup
 *  read it is racy and vouches for nothing. */
export function configFacts(snapshot: ConfigSnapshot, coverage: WatchCoverage, sinceMs: number): JournalPoint['config'] {
  if (!snapshot.project || snapshot.issues.length > 0) return null;
  if (!CONFIG_FILE_KEYS.every((f) => coverage.covers(f))) return null;
  const root = snapshot.project.root;
  const configFiles = new Map(CONFIG_FILE_KEYS.map((f) => [resolve(root, f), dirStamp(resolve(root, f), sinceMs)]));
  const sourceDirs = new Map<string, string>();
  for (const t of snapshot.project.targets) {
    for (const s of t.sources) {
      const dir = dirname(resolve(root, s));
      if (!sourceDirs.has(dir)) sourceDirs.set(dir, dirStamp(dir, sinceMs));
    }
  }
  return { snapshot, sourceDirs, configFiles };
}

const RACY = 'racy';
const ABSENT = 'absent';
/** The racy window of directory stamps (fs/racy.ts). A point is kept across builds for
 *  as long as nothing changes, like the daemons' hash memos, so the same 2 s: a dir
 *  changed this close to the build may change again within its timestamp tick without
 *  its stat changing, and such a stamp never matches (the next build plans, and looks). */
const RACY_MS = 2000;

/** Stat of a directory (through symlinks): a file created, removed or renamed in it
 *  changes its mtime; a dir replaced or a link repointed changes its inode. RACY when
 *  it changed after `sinceMs` (or within the racy window before it). */
export function dirStamp(abs: string, sinceMs = Date.now()): string {
  let st;
  try {
    st = statSync(abs, { bigint: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // Anything but "not there" (EACCES, EIO...) says nothing about what is in it.
    return code === 'ENOENT' || code === 'ENOTDIR' ? ABSENT : RACY;
  }
  if (isRacyTime(newestMsOf(st), sinceMs, RACY_MS)) return RACY;
  return `${kindOf(st)}:${stampKeyOf(st)}`;
}

/** The journal point a build leaves; null when it cannot vouch. */
export function pointAfterBuild(b: {
  changes: ChangesResult;
  snap: ConfigSnapshot;
  config: ProjectConfig;
  selected: string[];
  state: BuildStateReader;
  coverage: WatchCoverage | null;
  compilersId: string;
  summary: BuildSummary;
  startedAt: number;
}): JournalPoint | null {
  const { changes, snap, coverage, summary, startedAt } = b;
  const facts = coverage ? unwatchedFacts(b.config, b.selected, b.state, coverage, startedAt) : null;
  // A failed build keeps the epoch (files unchanged since it are still vouched
  // for) but can never be a no-op's witness.
  return facts && coverage
    ? {
        epoch: changes.epoch,
        journal_id: changes.journal_id,
        config_generation: snap.generation,
        compiler_id: b.compilersId,
        scope: coverage.key,
        targets: new Set(b.selected),
        tu_count: summary.upToDate + summary.compiled + summary.cached,
        complete: summary.ok,
        ...facts,
        config: configFacts(snap, coverage, startedAt),
      }
    : null;
}
