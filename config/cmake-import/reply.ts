// Reading CMake's file API reply (codemodel v2): the newest index, the codemodel
// it names, and each target's JSON. Only the fields the import uses are typed;
// see cmake-file-api(7) for the rest.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The query file that asks CMake for a codemodel v2 reply at configure time. */
export const QUERY_CLIENT = 'client-replibuild';
export const QUERY_JSON = { requests: [{ kind: 'codemodel', version: 2 }] };

export function queryPath(buildDir: string): string {
  return join(buildDir, '.cmake', 'api', 'v1', 'query', QUERY_CLIENT, 'query.json');
}

export function replyDir(buildDir: string): string {
  return join(buildDir, '.cmake', 'api', 'v1', 'reply');
}

export interface CmakeFragment {
  fragment: string;
  role?: 'flags' | 'libraries' | 'libraryPath' | 'frameworkPath';
}

export interface CmakeCompileGroup {
  language: string;
  compileCommandFragments?: CmakeFragment[];
  includes?: { path: string; isSystem?: boolean }[];
  defines?: { define: string }[];
  languageStandard?: { standard: string };
  sourceIndexes: number[];
}

export interface CmakeSource {
  path: string;
  compileGroupIndex?: number;
  isGenerated?: boolean;
}

export type CmakeTargetType =
  | 'EXECUTABLE'
  | 'STATIC_LIBRARY'
  | 'SHARED_LIBRARY'
  | 'MODULE_LIBRARY'
  | 'OBJECT_LIBRARY'
  | 'INTERFACE_LIBRARY'
  | 'UTILITY';

export interface CmakeTarget {
  name: string;
  id: string;
  type: CmakeTargetType;
  /** Present (true) on imported targets in newer codemodel minors. */
  imported?: boolean;
  artifacts?: { path: string }[];
  sources?: CmakeSource[];
  compileGroups?: CmakeCompileGroup[];
  dependencies?: { id: string }[];
  link?: { commandFragments?: CmakeFragment[]; language?: string };
}

/** What the import reads: the source and build trees (absolute) and the targets. */
export interface CmakeCodemodel {
  /** The top project() name. */
  project: string;
  source: string;
  build: string;
  targets: CmakeTarget[];
}

export class CmakeReplyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CmakeReplyError';
  }
}

interface CodemodelFile {
  paths: { source: string; build: string };
  configurations: { name: string; projects?: { name: string }[]; targets: { jsonFile: string }[] }[];
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new CmakeReplyError(`cannot read CMake's reply ${file}: ${(e as Error).message}`);
  }
}

/** The codemodel of the newest reply in `buildDir` (its first configuration: a single-
 *  configuration generator has exactly one). */
export function loadCodemodel(buildDir: string): CmakeCodemodel {
  return readReply(replyDir(buildDir));
}

/** The codemodel of the newest reply in a reply dir. */
export function readReply(dir: string): CmakeCodemodel {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new CmakeReplyError(`CMake wrote no file API reply in ${dir} (CMake 3.14 or newer is needed)`);
  }
  // Index names carry a timestamp, so the newest sorts last.
  const index = names.filter((n) => n.startsWith('index-') && n.endsWith('.json')).sort().at(-1);
  if (!index) throw new CmakeReplyError(`CMake wrote no index file in ${dir} (CMake 3.14 or newer is needed)`);
  const idx = readJson<{ objects?: { kind: string; version: { major: number }; jsonFile: string }[] }>(join(dir, index));
  const entry = idx.objects?.find((o) => o.kind === 'codemodel' && o.version.major === 2);
  if (!entry) throw new CmakeReplyError(`CMake's reply ${join(dir, index)} has no codemodel v2 (CMake 3.14 or newer is needed)`);
  const model = readJson<CodemodelFile>(join(dir, entry.jsonFile));
  const config = model.configurations[0];
  if (!config) throw new CmakeReplyError(`CMake's codemodel ${join(dir, entry.jsonFile)} has no configuration`);
  return {
    project: config.projects?.[0]?.name ?? '',
    source: model.paths.source,
    build: model.paths.build,
    targets: config.targets.map((t) => readJson<CmakeTarget>(join(dir, t.jsonFile))),
  };
}
