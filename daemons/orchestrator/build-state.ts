// What was built, from what: per object the command, the source and header
// hashes it was compiled from; per target the link command and input hashes.
// Lives in <root>/.replibuild/state/build-state.json, and the changes of recent
// builds in build-state.log beside it (build-state-log.ts).
//
// The file is a cache of facts, never a source of truth we cannot lose: a
// missing, corrupt or other-version file reads as empty state (a full rebuild).
// Saves re-read the file and apply only this instance's changes, so two builds
// of one project saving around each other do not drop each other's records.

import { searchChainId, searchContextId } from './search-ids.js';
import { appendChanges, appendPays, fileStamp, logFileOf, logStampOf, removeLog, replayLog } from './build-state-log.js';
import { makeDirWithin, tempPathFor, writePiecesSync } from '../../fs/atomic-write.js';
import { buildStatePieces } from './build-state-text.js';
import { StoredObjectRecord } from './stored-record.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../fs/private-files.js';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ProjectConfig } from '../../config/types.js';

/** On disk, version 2 stores each (header path, hash) pair once, in `files`, and
 *  objects name theirs by index: a TU reads ~100 headers, most of them the same
 *  system headers as every other TU, so inline lists made a 20,000-TU state
 *  hundreds of MB. Version 1 (inline lists) is still read. */
export const BUILD_STATE_VERSION = 2;

export interface FileHashRecord {
  path: string;
  /** sha256 hex of the content; "" = unknown (the file changed while it was being
   *  compiled), which never matches, so the next build redoes the work. */
  hash: string;
}

export interface ObjectRecord {
  /** Hash of compiler id + cwd + arguments. */
  command_hash: string;
  /** The compiler identity's id, kept apart so a plan can say "compiler changed". */
  compiler_id?: string;
  source: string;
  source_hash: string;
  /** Every header the last successful compile read, from its depfile. */
  headers: FileHashRecord[];
  /** Hash of the object that compile produced: an object replaced behind our back is not up to date. */
  object_hash?: string;
  /** Id of the include search context it compiled in (BuildStateData.search_contexts),
   *  from which the planner derives the paths that would shadow its headers. */
  search?: string;
  /** Such paths that existed around the compile: it could not see them, they never count. */
  shadow_skip?: string[];
  /** How long its last real compile (not a cache hit) took: the live line's estimate
   *  and the compile order's (compile-order.ts). */
  compile_ms?: number;
  /** A precompiled header (pch-plan.ts) the compiler did not accept, or that failed to
   *  build: its users compile without it until it changes. */
  pch_rejected?: true;
  /** Its last real compile with a precompiled header, and without (pch-payoff.ts). */
  pch_ms?: number;
  plain_ms?: number;
}

/** How a TU's includes were looked up (see include-search.ts). */
export interface SearchContext {
  /** Directories a quoted include may look in first. */
  quote: string[];
  /** -iquote, -I, -isystem, the compiler's own dirs, -idirafter: in search order. */
  chain: string[];
}

/** A compiler's own include directories under some flags (include-search.ts). */
export interface CompilerSearchRecord {
  compiler_id: string;
  dirs: string[];
  missing: string[];
}

/** As stored: the chain by id, since most contexts of a project share a few chains. */
export interface StoredSearchContext {
  quote: string[];
  chain: string;
}

export interface LinkRecord {
  command_hash: string;
  output: string;
  inputs: FileHashRecord[];
  output_hash?: string;
  /** How long its last real link (not a cache hit) took: the compile order's estimate. */
  link_ms?: number;
}

export interface BuildStateData {
  version: number;
  /** Keyed by object path relative to the project root. */
  objects: Record<string, ObjectRecord>;
  /** Keyed by target name. */
  links: Record<string, LinkRecord>;
  /** Content-addressed tables behind ObjectRecord.search; absent when empty. Entries
   *  no object refers to are dropped on save. */
  search_contexts?: Record<string, StoredSearchContext>;
  search_chains?: Record<string, string[]>;
  /** The compiler's own include dirs by probe key, so a new process need not run it
   *  again; dropped with the last record of that compiler. */
  compiler_search?: Record<string, CompilerSearchRecord>;
}

/** What the planner reads. */
export interface BuildStateReader {
  getObject(object: string): ObjectRecord | undefined;
  getLink(target: string): LinkRecord | undefined;
  /** The search context an ObjectRecord's `search` names. */
  getSearch?(id: string): SearchContext | undefined;
}

/** The state of the default profile's build dir is where it always was; another
 *  profile's build dir has its own beside it. */
export function buildStatePath(root: string, profile?: string): string {
  return join(root, '.replibuild', 'state', profile ? `build-state.${profile}.json` : 'build-state.json');
}

/** The `profile` argument of buildStatePath and BuildState.load for a config's build dir. */
export function stateProfileOf(config: Pick<ProjectConfig, 'profile' | 'default_profile'>): string | undefined {
  return config.profile === config.default_profile ? undefined : config.profile;
}

function emptyData(): BuildStateData {
  return { version: BUILD_STATE_VERSION, objects: {}, links: {} };
}

function isRecordOf(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validHashes(v: unknown): v is FileHashRecord[] {
  return Array.isArray(v) && v.every((h) => isRecordOf(h) && typeof h.path === 'string' && typeof h.hash === 'string');
}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function validObject(v: unknown): v is ObjectRecord {
  return (
    isRecordOf(v) &&
    typeof v.command_hash === 'string' &&
    typeof v.source === 'string' &&
    typeof v.source_hash === 'string' &&
    validHashes(v.headers) &&
    (v.search === undefined || typeof v.search === 'string') &&
    (v.shadow_skip === undefined || isStrings(v.shadow_skip)) &&
    (v.compile_ms === undefined || typeof v.compile_ms === 'number') &&
    (v.pch_rejected === undefined || v.pch_rejected === true) &&
    (v.pch_ms === undefined || typeof v.pch_ms === 'number') &&
    (v.plain_ms === undefined || typeof v.plain_ms === 'number')
  );
}

function validLink(v: unknown): v is LinkRecord {
  return (
    isRecordOf(v) &&
    typeof v.command_hash === 'string' &&
    typeof v.output === 'string' &&
    validHashes(v.inputs) &&
    (v.link_ms === undefined || typeof v.link_ms === 'number')
  );
}

/** One shared record per (path, hash): in memory as on disk, identical header
 *  entries of many TUs are one object, not one copy each. */
class FileTable {
  private readonly byKey = new Map<string, FileHashRecord>();
  intern(path: string, hash: string): FileHashRecord {
    const key = `${path}\0${hash}`;
    let r = this.byKey.get(key);
    if (!r) this.byKey.set(key, (r = { path, hash }));
    return r;
  }
}

/** A version-2 object record: `h` indexes the file's `files` table. Null when damaged. */
function expandObject(v: unknown, files: readonly FileHashRecord[]): unknown {
  if (!isRecordOf(v) || !Array.isArray(v.h)) return null;
  const headers: FileHashRecord[] = [];
  for (const i of v.h) {
    const f = Number.isInteger(i) ? files[i as number] : undefined;
    if (!f) return null;
    headers.push(f);
  }
  const { h: _h, ...rest } = v;
  return { ...rest, headers };
}

/** The file content for `data`, in the compact version-2 form. */
export function serializeBuildState(data: BuildStateData): string {
  return [...buildStatePieces(data, BUILD_STATE_VERSION)].join('');
}

/** Parses file content; anything unexpected yields empty state. Bad single records are dropped. */
export function parseBuildState(text: string): BuildStateData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return emptyData();
  }
  if (!isRecordOf(raw) || (raw.version !== 1 && raw.version !== 2) || !isRecordOf(raw.objects) || !isRecordOf(raw.links)) {
    return emptyData();
  }
  const table = new FileTable();
  let files: FileHashRecord[] = [];
  if (raw.version === 2) {
    if (!Array.isArray(raw.files)) return emptyData();
    files = raw.files.map((f) =>
      Array.isArray(f) && typeof f[0] === 'string' && typeof f[1] === 'string' ? table.intern(f[0], f[1]) : (undefined as unknown as FileHashRecord),
    );
  }
  const data = emptyData();
  for (const [k, raw1] of Object.entries(raw.objects)) {
    const v = raw.version === 2 ? expandObject(raw1, files) : raw1;
    if (!validObject(v)) continue;
    if (raw.version === 1) v.headers = v.headers.map((f) => table.intern(f.path, f.hash));
    data.objects[k] = v;
  }
  for (const [k, v] of Object.entries(raw.links)) if (validLink(v)) data.links[k] = v;
  // A context or chain is kept only under the id of its content: a record naming an
  // id with no (or damaged) entry reads as unknown search, and is rebuilt.
  if (isRecordOf(raw.search_chains)) {
    for (const [k, v] of Object.entries(raw.search_chains)) {
      if (isStrings(v) && searchChainId(v) === k) (data.search_chains ??= {})[k] = v;
    }
  }
  if (isRecordOf(raw.search_contexts)) {
    for (const [k, v] of Object.entries(raw.search_contexts)) {
      if (isRecordOf(v) && isStrings(v.quote) && typeof v.chain === 'string' && searchContextId({ quote: v.quote, chain: v.chain }) === k) {
        (data.search_contexts ??= {})[k] = { quote: v.quote, chain: v.chain };
      }
    }
  }
  if (isRecordOf(raw.compiler_search)) {
    for (const [k, v] of Object.entries(raw.compiler_search)) {
      if (isRecordOf(v) && typeof v.compiler_id === 'string' && isStrings(v.dirs) && isStrings(v.missing)) {
        (data.compiler_search ??= {})[k] = { compiler_id: v.compiler_id, dirs: v.dirs, missing: v.missing };
      }
    }
  }
  return data;
}

/** Copies the search contexts (and chains) `records` name from one state's tables to another's
 *  (content-addressed: merging is a union). */
function copySearch(from: BuildStateData, to: BuildStateData, records: Iterable<ObjectRecord | null>): void {
  for (const r of records) {
    const id = r?.search;
    const ctx = id !== undefined ? from.search_contexts?.[id] : undefined;
    const chain = ctx ? from.search_chains?.[ctx.chain] : undefined;
    if (!ctx || !chain) continue;
    (to.search_contexts ??= {})[id!] = ctx;
    (to.search_chains ??= {})[ctx.chain] = chain;
  }
}

/** Drops table entries no object refers to; removes empty tables. */
function pruneSearch(data: BuildStateData): void {
  const compilers = new Set<string>();
  for (const o of Object.values(data.objects)) if (o.compiler_id !== undefined) compilers.add(o.compiler_id);
  for (const [k, v] of Object.entries(data.compiler_search ?? {})) if (!compilers.has(v.compiler_id)) delete data.compiler_search![k];
  if (data.compiler_search && Object.keys(data.compiler_search).length === 0) delete data.compiler_search;
  const ctxIds = new Set<string>();
  for (const o of Object.values(data.objects)) if (o.search !== undefined) ctxIds.add(o.search);
  const chainIds = new Set<string>();
  for (const [k, v] of Object.entries(data.search_contexts ?? {})) {
    if (ctxIds.has(k)) chainIds.add(v.chain);
    else delete data.search_contexts![k];
  }
  for (const k of Object.keys(data.search_chains ?? {})) if (!chainIds.has(k)) delete data.search_chains![k];
  if (data.search_contexts && Object.keys(data.search_contexts).length === 0) delete data.search_contexts;
  if (data.search_chains && Object.keys(data.search_chains).length === 0) delete data.search_chains;
}

/** The file, with its log (build-state-log.ts) replayed over it. */
async function readData(file: string): Promise<BuildStateData> {
  let data: BuildStateData;
  try {
    data = parseBuildState(await readFile(file, 'utf8'));
  } catch {
    return emptyData(); // a log without its file applies to nothing
  }
  const table = new FileTable();
  const logged = await replayLog(logFileOf(file), data, { object: validObject, link: validLink, intern: (path, hash) => table.intern(path, hash) });
  // An appended save drops no table entry: what its records stopped naming goes here.
  if (logged > 0) pruneSearch(data);
  return data;
}


// Saves of one file within this process run one after another.
const saveChains = new Map<string, Promise<unknown>>();

export class BuildState implements BuildStateReader {
  private data: BuildStateData;
  private readonly changedObjects = new Map<string, ObjectRecord | null>();
  private readonly changedLinks = new Map<string, LinkRecord | null>();
  private readonly resolved = new Map<string, SearchContext | undefined>();
  private readonly changedProbes = new Map<string, CompilerSearchRecord>();
  private readonly files = new FileTable();

  /** size:mtime:inode of the file as this instance last read or wrote it: while the
   *  file still has it, nobody else wrote meanwhile, and a save need not read it back. */
  private diskStamp: string | null;

  private constructor(
    readonly file: string,
    /** The project's root: a save makes the state's directories below it, never it. */
    private readonly root: string,
    data: BuildStateData,
    diskStamp: string | null = null,
  ) {
    this.data = data;
    this.diskStamp = diskStamp;
  }

  static async load(root: string, profile?: string): Promise<BuildState> {
    const file = buildStatePath(root, profile);
    // Stamped before the read: a write that lands during it leaves another stamp behind.
    const stamp = buildStateStamp(file);
    return new BuildState(file, root, await readData(file), stamp);
  }

  /** A state not read from disk (tests, planning without a project). */
  static empty(root: string): BuildState {
    return new BuildState(buildStatePath(root), root, emptyData());
  }

  getObject(object: string): ObjectRecord | undefined {
    return this.data.objects[object];
  }

  /** With `search`: the record's include search context, stored and named in rec.search. */
  setObject(object: string, rec: ObjectRecord, search?: SearchContext): void {
    let searchId = rec.search;
    if (search) {
      const chainId = searchChainId(search.chain);
      const stored = { quote: [...search.quote], chain: chainId };
      const id = searchContextId(stored);
      (this.data.search_chains ??= {})[chainId] ??= [...search.chain];
      (this.data.search_contexts ??= {})[id] ??= stored;
      this.resolved.delete(id);
      searchId = id;
    }
    // A fresh compile's headers are fresh objects: share them with every other TU's.
    rec = new StoredObjectRecord(rec, rec.headers.map((h) => this.files.intern(h.path, h.hash)), searchId);
    this.data.objects[object] = rec;
    this.changedObjects.set(object, rec);
  }

  deleteObject(object: string): void {
    delete this.data.objects[object];
    this.changedObjects.set(object, null);
  }

  getLink(target: string): LinkRecord | undefined {
    return this.data.links[target];
  }

  getCompilerSearch(key: string): CompilerSearchRecord | undefined {
    return this.data.compiler_search?.[key];
  }

  setCompilerSearch(key: string, rec: CompilerSearchRecord): void {
    (this.data.compiler_search ??= {})[key] = rec;
    this.changedProbes.set(key, rec);
  }

  getSearch(id: string): SearchContext | undefined {
    if (this.resolved.has(id)) return this.resolved.get(id);
    const c = this.data.search_contexts?.[id];
    const chain = c ? this.data.search_chains?.[c.chain] : undefined;
    const r = c && chain ? { quote: c.quote, chain } : undefined;
    this.resolved.set(id, r);
    return r;
  }

  setLink(target: string, rec: LinkRecord): void {
    this.data.links[target] = rec;
    this.changedLinks.set(target, rec);
  }

  deleteLink(target: string): void {
    delete this.data.links[target];
    this.changedLinks.set(target, null);
  }

  get dirty(): boolean {
    return this.changedObjects.size > 0 || this.changedLinks.size > 0 || this.changedProbes.size > 0;
  }

  snapshot(): BuildStateData {
    return structuredClone(this.data);
  }

  /** Writes this instance's changes over what is on disk now: appended to the log when
   *  few (build-state-log.ts), else the whole state, temp file + rename. */
  save(): Promise<void> {
    const prev = saveChains.get(this.file) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.saveNow());
    saveChains.set(this.file, next);
    void next.finally(() => {
      if (saveChains.get(this.file) === next) saveChains.delete(this.file);
    }).catch(() => undefined);
    return next;
  }

  private async saveNow(): Promise<void> {
    if (!this.dirty) return;
    const objects = new Map(this.changedObjects);
    const links = new Map(this.changedLinks);
    const probes = new Map(this.changedProbes);
    this.changedObjects.clear();
    this.changedLinks.clear();
    this.changedProbes.clear();
    try {
      // Only another process's write makes the file differ from this.data (which holds
      // every change made here): read and merge only then. Re-reading a 20,000-TU state
      // on every save was most of what one edit cost in a big project.
      const ours = this.diskStamp !== null && buildStateStamp(this.file) === this.diskStamp;
      if (ours && appendPays(this.file, objects.size + links.size + probes.size)) {
        appendChanges(logFileOf(this.file), { objects, links, probes }, this.data);
        this.diskStamp = buildStateStamp(this.file);
        return;
      }
      const merged = ours ? this.data : await readData(this.file);
      if (!ours) {
        for (const [k, v] of objects) v ? (merged.objects[k] = v) : delete merged.objects[k];
        for (const [k, v] of links) v ? (merged.links[k] = v) : delete merged.links[k];
        copySearch(this.data, merged, objects.values());
        for (const [k, v] of probes) (merged.compiler_search ??= {})[k] = v;
      }
      pruneSearch(merged);
      await makeDirWithin(this.root, dirname(this.file), PRIVATE_DIR_MODE);
      const tmp = tempPathFor(this.file);
      let written: string | null;
      try {
        // Made as it is written, in one synchronous stretch (fs/atomic-write.ts).
        writePiecesSync(tmp, buildStatePieces(merged, BUILD_STATE_VERSION), PRIVATE_FILE_MODE);
        // The temp's inode is ours alone and survives the rename: a later stamp equal to
        // this one means the file is still the one written here.
        written = `${fileStamp(tmp)}|none`;
        // The log goes first: a crash in between loses its records (TUs compiled again),
        // where a log left over a newer file would bring older records back.
        await removeLog(logFileOf(this.file));
        await rename(tmp, this.file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      this.diskStamp = written;
      // Adopt what others recorded meanwhile, then re-apply anything changed during the write.
      for (const [k, v] of this.changedObjects) v ? (merged.objects[k] = v) : delete merged.objects[k];
      for (const [k, v] of this.changedLinks) v ? (merged.links[k] = v) : delete merged.links[k];
      copySearch(this.data, merged, this.changedObjects.values());
      for (const [k, v] of this.changedProbes) (merged.compiler_search ??= {})[k] = v;
      this.data = merged;
      this.resolved.clear();
    } catch (e) {
      // Keep the changes so a later save can still write them.
      for (const [k, v] of objects) if (!this.changedObjects.has(k)) this.changedObjects.set(k, v);
      for (const [k, v] of links) if (!this.changedLinks.has(k)) this.changedLinks.set(k, v);
      for (const [k, v] of probes) if (!this.changedProbes.has(k)) this.changedProbes.set(k, v);
      throw e;
    }
  }
}

/** Identifies one version of the state file, as written to its temp and renamed into
 *  place (renameStableKeyOf), and of its log; null when the file is absent or cannot be
 *  stat'ed, which no version of ours matches. */
export function buildStateStamp(file: string): string | null {
  const base = fileStamp(file);
  return base && `${base}|${logStampOf(logFileOf(file))}`;
}

/** Removes the state file and its log (clean). */
export async function removeBuildState(root: string, profile?: string): Promise<void> {
  await rm(buildStatePath(root, profile), { force: true });
  await removeLog(logFileOf(buildStatePath(root, profile)));
}
