// The build state's change log: build-state.json is rewritten whole only now and
// then; in between, a save that changed a few records appends them, one JSON line
// per save, to build-state.log beside it. One edit in a 20,000-TU project so
// writes a line, not the 8 MB state (whose serialization alone took over a second
// here). A load replays the lines over the file, in order; a damaged line (a save
// cut short) and the lines after it are ignored: the state is a cache, and a record
// it lacks is a TU compiled again. The whole file is written again, and the log
// removed, when the log has grown to half the file's size.
import { appendFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { PRIVATE_FILE_MODE } from '../../fs/private-files.js';
import { renameStableKeyOf, statBigSync } from '../../fs/stat-stamp.js';
import type { BuildStateData, CompilerSearchRecord, LinkRecord, ObjectRecord, StoredSearchContext } from './build-state.js';
import { searchChainId, searchContextId } from './search-ids.js';

/** One save's changes: null deletes a record. */
export interface StateChanges {
  objects: ReadonlyMap<string, ObjectRecord | null>;
  links: ReadonlyMap<string, LinkRecord | null>;
  probes: ReadonlyMap<string, CompilerSearchRecord>;
}

/** The log of a state file: build-state.json → build-state.log. */
export function logFileOf(stateFile: string): string {
  return stateFile.replace(/\.json$/, '') + '.log';
}

/** A file's stat, as kept across a rename (renameStableKeyOf); null when absent. */
export function fileStamp(file: string): string | null {
  try {
    const st = statBigSync(file);
    return st && renameStableKeyOf(st);
  } catch {
    return null;
  }
}

/** The log's stat as a stamp part ('none' when absent): appends change it. */
export function logStampOf(logFile: string): string {
  return fileStamp(logFile) ?? 'none';
}

/** Records changed at most by one save that appends instead of writing the whole file,
 *  while the log stays under half the file's size (a load replays all of it). */
const MAX_APPENDED = 256;

/** Whether a save of `changed` records should append to the log of `stateFile`. */
export function appendPays(stateFile: string, changed: number): boolean {
  const base = statBigSync(stateFile)?.size ?? 0n;
  const log = statBigSync(logFileOf(stateFile))?.size ?? 0n;
  return changed <= MAX_APPENDED && base > 0n && log * 2n < base;
}

/** Appends one save's changes, with the search contexts its records name. Returns the bytes written.
 *  Synchronous: one small write, on the path of every edit's answer (the build waits for
 *  its save), where fs/promises' appendFile is three trips through libuv's thread pool,
 *  each queued behind whatever reads and cache stores hold it. */
export function appendChanges(logFile: string, changes: StateChanges, data: BuildStateData): number {
  const x: Record<string, StoredSearchContext> = {};
  const c: Record<string, string[]> = {};
  for (const r of changes.objects.values()) {
    const ctx = r?.search !== undefined ? data.search_contexts?.[r.search] : undefined;
    const chain = ctx ? data.search_chains?.[ctx.chain] : undefined;
    if (!ctx || !chain) continue;
    x[r!.search!] = ctx;
    c[ctx.chain] = chain;
  }
  const line =
    JSON.stringify({
      o: Object.fromEntries(changes.objects),
      l: Object.fromEntries(changes.links),
      x,
      c,
      p: Object.fromEntries(changes.probes),
    }) + '\n';
  appendFileSync(logFile, line, { mode: PRIVATE_FILE_MODE });
  return Buffer.byteLength(line);
}

export interface ReplayChecks {
  object(v: unknown): v is ObjectRecord;
  link(v: unknown): v is LinkRecord;
  /** The one shared record per (path, hash) (build-state.ts FileTable). */
  intern(path: string, hash: string): { path: string; hash: string };
}

const isRecordOf = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** Applies the log's lines to `data`; returns the log's size in bytes (0 when absent). */
export async function replayLog(logFile: string, data: BuildStateData, checks: ReplayChecks): Promise<number> {
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch {
    return 0;
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      break; // cut short: what follows cannot be trusted to follow it
    }
    if (!isRecordOf(e)) break;
    for (const [k, v] of Object.entries(isRecordOf(e.o) ? e.o : {})) {
      if (v === null) delete data.objects[k];
      else if (checks.object(v)) data.objects[k] = { ...v, headers: v.headers.map((h) => checks.intern(h.path, h.hash)) };
    }
    for (const [k, v] of Object.entries(isRecordOf(e.l) ? e.l : {})) {
      if (v === null) delete data.links[k];
      else if (checks.link(v)) data.links[k] = v;
    }
    // Content-addressed: kept only under the id of their content, as the file's own.
    for (const [k, v] of Object.entries(isRecordOf(e.c) ? e.c : {})) {
      if (isStrings(v) && searchChainId(v) === k) (data.search_chains ??= {})[k] = v;
    }
    for (const [k, v] of Object.entries(isRecordOf(e.x) ? e.x : {})) {
      if (isRecordOf(v) && isStrings(v.quote) && typeof v.chain === 'string' && searchContextId({ quote: v.quote, chain: v.chain }) === k) {
        (data.search_contexts ??= {})[k] = { quote: v.quote, chain: v.chain };
      }
    }
    for (const [k, v] of Object.entries(isRecordOf(e.p) ? e.p : {})) {
      if (isRecordOf(v) && typeof v.compiler_id === 'string' && isStrings(v.dirs) && isStrings(v.missing)) {
        (data.compiler_search ??= {})[k] = { compiler_id: v.compiler_id, dirs: v.dirs, missing: v.missing };
      }
    }
  }
  return Buffer.byteLength(text);
}

/** Removes the log (the whole file now holds what it said). */
export function removeLog(logFile: string): Promise<void> {
  return rm(logFile, { force: true });
}
