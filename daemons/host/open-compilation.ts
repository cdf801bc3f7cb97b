// Opening the compilation service with its cache, for the daemon and for
// in-process builds alike. A cache that cannot be used (say, a cache dir owned
// by another user) is reported and the build goes on without it.
import type { DaemonConfig } from '../../config/types.js';
import type { ChildTracker } from './child-tracker.js';
import { silentLogger, type Logger } from '../common/logger.js';
import { CompileCache } from '../../cache/cached-compile.js';
import { cleanupWithConfig } from '../../cache/cleanup.js';
import { CompilationService } from '../compilation/service.js';

export async function openCache(log: Logger): Promise<CompileCache | undefined> {
  try {
    // The service answers a compile as soon as its object is in place; the cache entry
    // is written after (its close() waits for those writes). A refused directory still
    // gives a cache: it bypasses itself, tells each build why, and checks again per build.
    const cache = await CompileCache.open({ log: (line) => log.debug(line), storeInBackground: true, openRefused: true });
    const note = cache.guard.note();
    if (note) log.warn(note);
    return cache;
  } catch (e) {
    log.warn(`compile cache disabled: ${(e as Error).message}`);
    return undefined;
  }
}

export async function openCompilationService(
  config: DaemonConfig,
  opts: { children?: ChildTracker; log?: Logger } = {},
): Promise<CompilationService> {
  const cache = await openCache(opts.log ?? silentLogger);
  return new CompilationService({ parallelJobs: config.compilation.parallel_jobs, children: opts.children, cache });
}

const CLEANUP_EVERY_MS = 10 * 60_000;

/** max_cache_size and cache_ttl enforced now and every few minutes, off the build path. */
export function scheduleCacheCleanup(cache: CompileCache, config: () => DaemonConfig, log: Logger): () => void {
  let running = false;
  const runOnce = async () => {
    // Never evict from (or write into) a directory the guard refuses now.
    if (running || !cache.guard.usableNow()) return;
    running = true;
    try {
      const r = await cleanupWithConfig(cache.layout.root, config().compilation, cache.stats);
      if (r.evicted) log.info(`cache cleanup: evicted ${r.evicted} entries (${r.evicted_bytes} bytes); ${r.size_bytes} bytes in ${r.entries} entries remain`);
    } catch (e) {
      log.warn(`cache cleanup failed: ${(e as Error).message}`);
    } finally {
      running = false;
    }
  };
  const first = setTimeout(runOnce, 5_000);
  const timer = setInterval(runOnce, CLEANUP_EVERY_MS);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
