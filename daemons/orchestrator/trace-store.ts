// The last builds' traces: .replibuild/traces/<id>.json, ids counting up. A trace is
// written to a temp file and hard-linked to its name, which fails when the name is
// taken, so the daemon and an in-process build finishing together get two ids and
// a reader never sees half a file; then all but the newest TRACES_KEPT are removed.

import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathFor } from '../../fs/atomic-write.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../fs/private-files.js';
import { TRACE_VERSION, type BuildTrace } from '../../protocol/trace.js';
import { UserError } from '../common/user-error.js';

export const TRACES_KEPT = 20;

export function tracesDir(root: string): string {
  return join(root, '.replibuild', 'traces');
}

/** Ids of the traces on disk, oldest first. */
export function traceIds(root: string): number[] {
  let names: string[];
  try {
    names = readdirSync(tracesDir(root));
  } catch {
    return [];
  }
  return names
    .map((n) => /^(\d+)\.json$/.exec(n))
    .filter((m) => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** Writes `trace` under the next free id and prunes the oldest; returns the id. */
export function saveTrace(root: string, trace: BuildTrace): number {
  const dir = tracesDir(root);
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  let id = (traceIds(root).at(-1) ?? 0) + 1;
  const tmp = tempPathFor(join(dir, 'trace'));
  try {
    for (let tries = 0; ; tries++) {
      writeFileSync(tmp, JSON.stringify({ ...trace, id }), { mode: PRIVATE_FILE_MODE });
      try {
        linkSync(tmp, join(dir, `${id}.json`));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 100) throw e;
        id++;
      }
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  const ids = traceIds(root);
  for (const old of ids.slice(0, Math.max(0, ids.length - TRACES_KEPT))) rmSync(join(dir, `${old}.json`), { force: true });
  return id;
}

/** Whether trace `id` is on disk and no trace came after it: saveTrace numbers each
 *  from the newest one up, so a newer one would be id + 1 (pruning removes older ones
 *  first). Two stats, where a save is a listing, a write, a link and another listing. */
export function isNewestTrace(root: string, id: number): boolean {
  const dir = tracesDir(root);
  return existsSync(join(dir, `${id}.json`)) && !existsSync(join(dir, `${id + 1}.json`));
}

/** "4–23", or "2, 4" where some between are not counted (another build dir's). */
function idList(ids: number[]): string {
  return ids.at(-1)! - ids[0]! === ids.length - 1 ? `${ids[0]}–${ids.at(-1)}` : ids.join(', ');
}

export class TraceNotFoundError extends UserError {
  constructor(what: string, kept: number[]) {
    super(
      kept.length === 0
        ? `no build trace yet: run \`replibuild compile\` first (traces are kept in .replibuild/traces)`
        : `no build trace ${what}: the kept ones are ${idList(kept)} (\`last\`, \`last-1\`, ... or an id)`,
    );
    this.name = 'TraceNotFoundError';
  }
}

function readTrace(root: string, id: number): BuildTrace {
  const file = join(tracesDir(root), `${id}.json`);
  let trace: BuildTrace;
  try {
    trace = JSON.parse(readFileSync(file, 'utf8')) as BuildTrace;
  } catch (e) {
    throw new UserError(`cannot read the trace of build ${id} (${file}): ${(e as Error).message}`);
  }
  if (trace.version !== TRACE_VERSION) {
    throw new UserError(`the trace of build ${id} was written by another replibuild version (format ${String(trace.version)}); build again for a new one`);
  }
  return trace;
}

/**
 * The trace `ref` names: an id ("12"), "last" (the default) or "last-K", the K-th
 * before the last; with `buildDir`, counting only the builds into that directory
 * (one build profile's). Throws a TraceNotFoundError saying which ones there are.
 */
export function loadTrace(root: string, ref = 'last', buildDir?: string): BuildTrace {
  const ids = buildDir === undefined ? traceIds(root) : traceIds(root).filter((id) => readTrace(root, id).build_dir === buildDir);
  const rel = /^last(?:-(\d+))?$/.exec(ref);
  let id: number | undefined;
  if (rel) id = ids[ids.length - 1 - Number(rel[1] ?? 0)];
  else if (/^\d+$/.test(ref)) id = ids.includes(Number(ref)) ? Number(ref) : undefined;
  else throw new UserError(`"${ref}" names no build: give an id (12), \`last\` or \`last-K\``);
  if (id === undefined) throw new TraceNotFoundError(buildDir === undefined ? ref : `${ref} into ${buildDir}`, ids);
  return readTrace(root, id);
}
