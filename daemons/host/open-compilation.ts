// Opening the compilation service with its cache, for the compilation daemon and
// for the compiles an orchestrator does in-process (CompilationPeer's fallback).
// A cache that cannot be used (say, a cache dir owned by another user) is reported
// and the build goes on without it.
import type { DaemonConfig } from '../../config/types.js';
import { remoteCacheSettings, type RemoteCacheSettings } from '../../config/remote-cache.js';
import type { ChildTracker } from './child-tracker.js';
import type { Logger } from '../common/logger.js';
import { CompileCache } from '../../cache/cached-compile.js';
import { cleanupWithConfig } from '../../cache/cleanup.js';
import { CompilationService, type DistccSettings } from '../compilation/service.js';
import { DistccHostsError, distccHostsSource, parseDistccHosts } from '../../config/distcc-hosts.js';
import { ensurePrivateDir } from '../../fs/private-files.js';
import { projectPaths } from './paths.js';
import { join } from 'node:path';

/** The process's compile cache; null when it cannot be used. Each process opens it
 *  once, through openCompilation or openOrchestrator, and shares it. */
export async function openCache(log: Logger, config: DaemonConfig): Promise<CompileCache | null> {
  let remote: RemoteCacheSettings | null = null;
  try {
    // REPLIBUILD_REMOTE_CACHE (this process's environment: the CLI's, passed to the
    // daemons at start) overrides the key.
    remote = remoteCacheSettings(config.compilation);
  } catch (e) {
    log.warn(`remote cache disabled: ${(e as Error).message}`);
  }
  try {
    // The service answers a compile as soon as its object is in place; the cache entry
    // is written after (its close() waits for those writes). A refused directory still
    // gives a cache: it bypasses itself, tells each build why, and checks again per build.
    const cache = await CompileCache.open({
      log: (line) => log.debug(line),
      remoteLog: (line) => log.info(line),
      storeInBackground: true,
      openRefused: true,
      remote,
    });
    const note = cache.guard.note();
    if (note) log.warn(note);
    return cache;
  } catch (e) {
    log.warn(`compile cache disabled: ${(e as Error).message}`);
    return null;
  }
}

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
  const stopCleanup = cache && o.cleanup ? scheduleCacheCleanup(cache, o.cleanup, o.log) : () => {};
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

/** max_cache_size and cache_ttl enforced now and every few minutes, off the build path. */
function scheduleCacheCleanup(cache: CompileCache, config: () => DaemonConfig, log: Logger): () => void {
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
