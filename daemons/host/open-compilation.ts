// Opening the compilation service with its cache, for the compilation daemon and
// for the compiles an orchestrator does in-process (CompilationPeer's fallback).
// A cache that cannot be used (say, a cache dir owned by another user) is reported
// and the build goes on without it.
import type { DaemonConfig } from '../../config/types.js';
import type { ChildTracker } from './child-tracker.js';
import type { Logger } from '../common/logger.js';
import type { CompileCache } from '../../cache/cached-compile.js';
import { cleanupWithConfig } from '../../cache/cleanup.js';
import { CompilationService, type DistccSettings } from '../compilation/service.js';
import { DistccHostsError, distccHostsSource, parseDistccHosts } from '../../config/distcc-hosts.js';
import { ensurePrivateDir } from '../../fs/private-files.js';
import { projectPaths } from './paths.js';
import { openCache } from './open-cache.js';
import { IdleSchedule } from './idle-schedule.js';
import { join } from 'node:path';

/** The distcc hosts to send misses to: distcc_hosts, else DISTCC_HOSTS of this
 *  process's environment (the CLI's, passed to the daemons at start); undefined: neither. */
export function distccSettings(root: string, config: DaemonConfig, log: Logger, env: NodeJS.ProcessEnv = process.env): DistccSettings | undefined {
  const source = distccHostsSource(config.compilation.distcc_hosts, env);
  if (!source) return undefined;
  const dir = join(projectPaths(root).stateDir, 'distcc');
  const distccLog = (line: string) => log.info(line);
  try {
    const hosts = parseDistccHosts(source.text);
    if (hosts.length) {
      ensurePrivateDir(dir);
      log.info(`distcc: sending cache misses to ${hosts.map((h) => `${h.name}/${h.limit}`).join(' ')} (from ${source.from})`);
    }
    return { hosts, from: source.from, dir, log: distccLog };
  } catch (e) {
    // The key was checked with the file; only the environment's list can be wrong here.
    if (!(e instanceof DistccHostsError)) throw e;
    const problem = `${source.from}: ${e.message}`;
    log.warn(`distcc not used: ${problem}`);
    return { hosts: [], from: source.from, dir, problem };
  }
}

export interface CompilationOptions {
  /** The project root: distcc's private state and the compiler identities probed
   *  (compilers.json) live under its .replibuild/state. */
  root: string;
  /** parallel_jobs and distcc_hosts are read from it. */
  config: DaemonConfig;
  log: Logger;
  children?: ChildTracker;
  /** The cache this process opened already (null: it has none); absent: open it here. */
  cache?: CompileCache | null;
  /** Enforce max_cache_size and cache_ttl every few minutes, with the settings this
   *  gives at each run (the daemon; an in-process build leaves it to `cache cleanup`). */
  cleanup?: () => DaemonConfig;
  /** Called after each background cleanup (the daemon collects garbage once idle). */
  afterCleanup?: () => void;
}

export interface OpenCompilation {
  service: CompilationService;
  /** Queued jobs dropped, running compilers killed, cache counters saved. */
  close(): Promise<void>;
}

export async function openCompilation(o: CompilationOptions): Promise<OpenCompilation> {
  const cache = o.cache === undefined ? await openCache(o.log, o.config) : o.cache;
  const distcc = distccSettings(o.root, o.config, o.log);
  const service = new CompilationService({
    parallelJobs: o.config.compilation.parallel_jobs,
    children: o.children,
    cache: cache ?? undefined,
    identityStore: join(projectPaths(o.root).stateDir, 'compilers.json'),
    ...(distcc ? { distcc } : {}),
  });
  const stopCleanup = cache && o.cleanup ? scheduleCacheCleanup(cache, service, o.cleanup, o.log, o.afterCleanup) : () => {};
  return {
    service,
    close: async () => {
      stopCleanup();
      await service.close();
      // A cache this process opened here is closed here; a shared one by its opener.
      if (o.cache === undefined) await cache?.close();
    },
  };
}

const CLEANUP_EVERY_MS = 10 * 60_000;

/** No compile for this long before a cleanup runs: a build's gaps are shorter. */
const CLEANUP_QUIET_MS = 30_000;

/** max_cache_size and cache_ttl enforced soon after start and every few minutes, each
 *  time once no compile has run for a while (idle-schedule.ts), off the build path. */
function scheduleCacheCleanup(cache: CompileCache, service: CompilationService, config: () => DaemonConfig, log: Logger, after?: () => void): () => void {
  const schedule = new IdleSchedule(
    async () => {
      // Never evict from (or write into) a directory the guard refuses now.
      if (!cache.guard.usableNow()) return;
      try {
        const r = await cleanupWithConfig(cache.layout.root, config().compilation, cache.stats);
        if (r.evicted) log.info(`cache cleanup: evicted ${r.evicted} entries (${r.evicted_bytes} bytes); ${r.size_bytes} bytes in ${r.entries} entries remain`);
      } catch (e) {
        log.warn(`cache cleanup failed: ${(e as Error).message}`);
      } finally {
        // The walk of a big cache allocates as much as a build: hand it back.
        after?.();
      }
    },
    { firstMs: 5_000, everyMs: CLEANUP_EVERY_MS, quietMs: CLEANUP_QUIET_MS, lastActivityMs: () => service.lastActivityMs() },
  );
  schedule.start();
  return () => schedule.stop();
}
