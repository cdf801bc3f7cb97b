// Opening the process's compile cache: once per process, by the compilation daemon
// (openCompilation) or by an orchestrator (openOrchestrator), which shares it with its
// link cache and any compiles it does in-process. Apart from open-compilation.ts so an
// orchestrator that never compiles in-process does not load the compile queue and distcc.
import type { DaemonConfig } from '../../config/types.js';
import { remoteCacheSettings, type RemoteCacheSettings } from '../../config/remote-cache.js';
import type { Logger } from '../common/logger.js';
import { CompileCache } from '../../cache/cached-compile.js';

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
      // Held while the compiles fill the cores, within this much memory: the stores'
      // CPU is not taken from the compilers; they run at the build's tail and link.
      holdStoresBytes: 32 * 1024 * 1024,
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
