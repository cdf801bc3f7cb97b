// What the orchestrator remembers of its last build so that the next one can
// plan from the discovery journal alone: the epoch the build started from, and
// the facts a journal cannot vouch for (config, compiler, outputs, system headers).
import { statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { matchGlob } from '../../config/glob.js';
import type { ChangesResult } from '../../protocol/discovery.js';
import type { ProjectConfig } from '../../protocol/messages.js';
import type { BuildStateReader } from './build-state.js';
import { objectPathFor } from './compile-args.js';
import type { FileHasher } from './file-hasher.js';

export interface JournalPoint {
  epoch: number;
  journal_id: string;
  config_generation: number;
  compiler_id: string;
  /** Targets the build covered (with their deps). */
  targets: Set<string>;
  tu_count: number;
  /** Whether that build left everything up to date (ok, nothing failed or cancelled). */
  complete: boolean;
  /** Headers the journal does not watch (system headers, the build dir), with their hashes. */
  unwatched: Map<string, string>;
}

/** A path discovery watches: in the project, outside the build dir, not ignored. */
export function isWatchedPath(p: string, buildDir: string, ignored: readonly string[]): boolean {
  if (isAbsolute(p) || p.startsWith('../') || p === buildDir || p.startsWith(buildDir + '/')) return false;
  return !ignored.some((pat) => matchGlob(pat, p));
}

/** The journal's vouching, as the planner takes it: null when it cannot vouch at all. */
export function unchangedPredicate(
  point: JournalPoint | null,
  changes: ChangesResult | null,
  selected: readonly string[],
  buildDir: string,
  ignored: readonly string[],
): ((p: string) => boolean) | null {
  if (!point || !changes?.complete || changes.journal_id !== point.journal_id) return null;
  // Records of targets the last build did not cover may predate its epoch.
  if (!selected.every((t) => point.targets.has(t))) return null;
  const changed = new Set(changes.changes.map((c) => c.path));
  return (p) => !changed.has(p) && isWatchedPath(p, buildDir, ignored);
}

/** Whether the last build's point still holds with nothing in the journal: a no-op
 *  needs only the outputs to exist and the unwatched headers to be the same. */
export async function stillUpToDate(
  point: JournalPoint,
  config: ProjectConfig,
  selected: readonly string[],
  hasher: FileHasher,
): Promise<boolean> {
  for (const t of config.targets) {
    if (!selected.includes(t.name)) continue;
    try {
      statSync(resolve(config.root, t.output));
    } catch {
      return false;
    }
  }
  const paths = [...point.unwatched.keys()];
  const now = await Promise.all(paths.map((p) => hasher.hash(p)));
  return paths.every((p, i) => now[i] === point.unwatched.get(p));
}

/** The unwatched headers of the selected targets' TUs, from the state; null if any
 *  has no trustworthy hash (then no point is kept and the next build plans in full). */
export function unwatchedHeaders(
  config: ProjectConfig,
  selected: readonly string[],
  state: BuildStateReader,
  ignored: readonly string[],
): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const t of config.targets) {
    if (!selected.includes(t.name)) continue;
    for (const source of t.sources) {
      const rec = state.getObject(objectPathFor(t, source));
      if (!rec) return null;
      for (const h of rec.headers) {
        if (isWatchedPath(h.path, config.build_dir, ignored)) continue;
        if (h.hash === '') return null;
        out.set(h.path, h.hash);
      }
    }
  }
  return out;
}
