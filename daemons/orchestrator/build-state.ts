// What was built, from what: per object the command, the source and header
// hashes it was compiled from; per target the link command and input hashes.
// Lives in <root>/.replibuild/state/build-state.json.
//
// The file is a cache of facts, never a source of truth we cannot lose: a
// missing, corrupt or other-version file reads as empty state (a full rebuild).
// Saves re-read the file and apply only this instance's changes, so two builds
// of one project saving around each other do not drop each other's records.

import { tempPathFor } from '../common/atomic-write.js';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const BUILD_STATE_VERSION = 1;

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
}

export interface LinkRecord {
  command_hash: string;
  output: string;
  inputs: FileHashRecord[];
  output_hash?: string;
}

export interface BuildStateData {
  version: typeof BUILD_STATE_VERSION;
  /** Keyed by object path relative to the project root. */
  objects: Record<string, ObjectRecord>;
  /** Keyed by target name. */
  links: Record<string, LinkRecord>;
}

/** What the planner reads. */
export interface BuildStateReader {
  getObject(object: string): ObjectRecord | undefined;
  getLink(target: string): LinkRecord | undefined;
}

export function buildStatePath(root: string): string {
  return join(root, '.replibuild', 'state', 'build-state.json');
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

function validObject(v: unknown): v is ObjectRecord {
  return (
    isRecordOf(v) &&
    typeof v.command_hash === 'string' &&
    typeof v.source === 'string' &&
    typeof v.source_hash === 'string' &&
    validHashes(v.headers)
  );
}

function validLink(v: unknown): v is LinkRecord {
  return isRecordOf(v) && typeof v.command_hash === 'string' && typeof v.output === 'string' && validHashes(v.inputs);
}

/** Parses file content; anything unexpected yields empty state. Bad single records are dropped. */
export function parseBuildState(text: string): BuildStateData {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return emptyData();
  }
  if (!isRecordOf(raw) || raw.version !== BUILD_STATE_VERSION || !isRecordOf(raw.objects) || !isRecordOf(raw.links)) {
    return emptyData();
  }
  const data = emptyData();
  for (const [k, v] of Object.entries(raw.objects)) if (validObject(v)) data.objects[k] = v;
  for (const [k, v] of Object.entries(raw.links)) if (validLink(v)) data.links[k] = v;
  return data;
}

async function readData(file: string): Promise<BuildStateData> {
  try {
    return parseBuildState(await readFile(file, 'utf8'));
  } catch {
    return emptyData();
  }
}

// Saves of one file within this process run one after another.
const saveChains = new Map<string, Promise<unknown>>();

export class BuildState implements BuildStateReader {
  private data: BuildStateData;
  private readonly changedObjects = new Map<string, ObjectRecord | null>();
  private readonly changedLinks = new Map<string, LinkRecord | null>();

  private constructor(
    readonly file: string,
    data: BuildStateData,
  ) {
    this.data = data;
  }

  static async load(root: string): Promise<BuildState> {
    const file = buildStatePath(root);
    return new BuildState(file, await readData(file));
  }

  /** A state not read from disk (tests, planning without a project). */
  static empty(root: string): BuildState {
    return new BuildState(buildStatePath(root), emptyData());
  }

  getObject(object: string): ObjectRecord | undefined {
    return this.data.objects[object];
  }

  setObject(object: string, rec: ObjectRecord): void {
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

  setLink(target: string, rec: LinkRecord): void {
    this.data.links[target] = rec;
    this.changedLinks.set(target, rec);
  }

  deleteLink(target: string): void {
    delete this.data.links[target];
    this.changedLinks.set(target, null);
  }

  get dirty(): boolean {
    return this.changedObjects.size > 0 || this.changedLinks.size > 0;
  }

  snapshot(): BuildStateData {
    return structuredClone(this.data);
  }

  /** Writes this instance's changes over what is on disk now: temp file + rename. */
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
    this.changedObjects.clear();
    this.changedLinks.clear();
    try {
      const merged = await readData(this.file);
      for (const [k, v] of objects) v ? (merged.objects[k] = v) : delete merged.objects[k];
      for (const [k, v] of links) v ? (merged.links[k] = v) : delete merged.links[k];
      await mkdir(dirname(this.file), { recursive: true });
      const tmp = tempPathFor(this.file);
      try {
        await writeFile(tmp, JSON.stringify(merged));
        await rename(tmp, this.file);
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      // Adopt what others recorded meanwhile, then re-apply anything changed during the write.
      for (const [k, v] of this.changedObjects) v ? (merged.objects[k] = v) : delete merged.objects[k];
      for (const [k, v] of this.changedLinks) v ? (merged.links[k] = v) : delete merged.links[k];
      this.data = merged;
    } catch (e) {
      // Keep the changes so a later save can still write them.
      for (const [k, v] of objects) if (!this.changedObjects.has(k)) this.changedObjects.set(k, v);
      for (const [k, v] of links) if (!this.changedLinks.has(k)) this.changedLinks.set(k, v);
      throw e;
    }
  }
}

/** Removes the state file (clean). */
export async function removeBuildState(root: string): Promise<void> {
  await rm(buildStatePath(root), { force: true });
}
