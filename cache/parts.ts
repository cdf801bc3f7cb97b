// What the compile cache's steps share: the collaborators one CompileCache owns, and
// the shapes a compile's trip through the cache passes between them.

import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { RunCompileOptions, RunnerIdentity } from '../toolchain/compile-runner.js';
import type { CacheableArgs, EnvAnalysis, UncacheableReason } from './args.js';
import type { BackgroundStores } from './background-stores.js';
import type { Bookkeeping } from './bookkeeping.js';
import type { BuildStatMemo } from './build-stats.js';
import type { DirListingCache, FileInfoCache, FileSnapshot } from './fs-snapshot.js';
import { siblingKey, type KeyContext } from './keys.js';
import type { HeaderHasher } from './manifest.js';
import type { ManifestMemo } from './manifest-memo.js';
import type { Siblings } from './mode-policy.js';
import type { PreprocessOutput, SearchList } from './preprocess.js';
import type { ResultStore } from './result-store.js';
import type { TieredStore } from './tiered-store.js';

/** runCompile's shape; the cache calls it for every real compile. */
export type CompileRunner = (job: CompileJob, identity: RunnerIdentity, opts?: RunCompileOptions) => Promise<CompileResult>;

export interface CacheParts {
  readonly store: TieredStore;
  /** Compile results: stored, loaded and restored. */
  readonly results: ResultStore;
  readonly manifests: ManifestMemo;
  readonly files: FileInfoCache;
  readonly dirs: DirListingCache;
  readonly hasher: HeaderHasher;
  /** The hasher was injected (the discovery daemon's), not `files`. */
  readonly customHasher: boolean;
  /** The environment the compiler runs in. */
  readonly env: NodeJS.ProcessEnv;
  /** Racy margin, ms (fs-snapshot.ts). */
  readonly slack: number;
  readonly book: Bookkeeping;
  readonly background: BackgroundStores;
  readonly siblings: Siblings;
  readonly alongside: 'spare' | 'always' | 'never';
  readonly buildStats: BuildStatMemo;
}

/** A compile the cache may serve: its analysis and direct-mode key. */
export interface Prepared {
  args: CacheableArgs;
  env: EnvAnalysis;
  srcAbs: string;
  src: FileSnapshot;
  ctx: KeyContext;
  key1: string;
  /** The source's hash as the keys take it (comment-blind or plain). */
  srcHash: string;
  /** siblingKey: this source under these non-preprocessor options (computed when needed:
   *  a hit does not need it). */
  keyS?: string;
  /** Entries of this TU record project headers comment-blind. */
  blind: boolean;
}

/** What an `-E` run of a TU showed. */
export interface Preprocessed {
  out: PreprocessOutput;
  search: SearchList;
  startedMs: number;
  headers: { path: string; snap: FileSnapshot }[];
}

/** Why a compile goes to the compiler without the cache. */
export type NotCacheable = { uncacheable: UncacheableReason; detail: string };
export type PreprocessOutcome = Preprocessed | { failed: true } | NotCacheable;

export function keyS(prep: Prepared): string {
  return (prep.keyS ??= siblingKey(prep.ctx, prep.srcHash));
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}
