// The compile cache's public surface, for the compilation daemon and the CLI.

export { CACHE_DIR_ENV, CacheDirError, cacheLayout, defaultCacheDir, ensureCacheDir, type CacheLayout } from './cache-dir.js';
export { analyzeArgs, analyzeEnv, debugDirForKey, type ArgsAnalysis, type CacheableArgs, type Uncacheable, type UncacheableReason } from './args.js';
export { CACHE_FORMAT_VERSION, directKey, preprocessorKey, type KeyContext } from './keys.js';
export { CorruptEntryError } from './blob.js';
export { type CacheTier, type EntryKind, type TierBlob } from './tier.js';
export { TieredStore, openStore } from './tiered-store.js';
export { LocalTier, storeUsage, type StoreUsage } from './tiers/local.js';
export { DEFAULT_MAX_MANIFEST_ENTRIES, type HeaderHasher, type Manifest, type ManifestEntry } from './manifest.js';
export { FileInfoCache, DEFAULT_RACY_SLACK_MS } from './fs-snapshot.js';
export { CompileCache, type CompileCacheOptions, type CompileRunner } from './cached-compile.js';
export { CacheStats, emptyCounters, readCounters, foldDeltas, zeroCounters, buildReport, type CacheStatsReport, type StatCounters } from './stats.js';
export { cleanup, cleanupWithConfig, verify, clear, type CleanupOptions, type CleanupReport, type VerifyReport } from './cleanup.js';
export { LinkCache, archiverIdentity, type LinkJob, type LinkOutcome, type LinkRunResult, type ToolIdentity } from './link-cache.js';

import { cacheLayout } from './cache-dir.js';
import { buildReport as build, readCounters as read, type CacheStatsReport as Report } from './stats.js';
import { storeUsage as usage } from './tiers/local.js';

/** `replibuild cache stats --json` without a running daemon (its unflushed counts excluded). */
export async function readCacheStats(root: string, maxSizeBytes: number): Promise<Report> {
  const layout = cacheLayout(root);
  const [counters, u] = await Promise.all([read(layout.stats), usage(layout.store)]);
  return build(counters, u, root, maxSizeBytes);
}
