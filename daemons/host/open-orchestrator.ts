// The orchestrator and everything it is wired to: its peers (setup, compilation and,
// for the daemon, discovery), the process's compile cache and the link cache on it.
// The orchestrator daemon's main and the CLI's in-process builds (--no-daemon, CI, a
// project whose orchestrator is disabled or not running) both open it here.
import { defaultDaemonConfig, loadDaemonConfig } from '../../config/daemon-config.js';
import { ConfigError } from '../../config/errors.js';
import type { DaemonConfig } from '../../config/types.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { ChildTracker } from './child-tracker.js';
import { openCache } from './open-cache.js';
import { projectPaths } from './paths.js';
import { CompilationPeer, DiscoveryPeer, SetupPeer } from './peers.js';
import { ensurePrivateDir } from '../../fs/private-files.js';
import { OrchestratorService } from '../orchestrator/service.js';

export interface OrchestratorOptions {
  root: string;
  /** Default: silent (an in-process build tells the user what matters as build events). */
  log?: Logger;
  children?: ChildTracker;
  /** Default: the project's daemon_config.toml, or the defaults when it is invalid
   *  (the build then reports its issues, file:line:col, through setup's snapshot). */
  config?: DaemonConfig;
  /** Let the enabled setup and compilation daemons do their part when they run. */
  useDaemons: boolean;
  /** Ask the discovery daemon what changed (the orchestrator daemon does); without it
   *  a build plans by stat and hash. */
  useDiscovery: boolean;
}

export interface OpenOrchestrator {
  service: OrchestratorService;
  /** Waits for the build's after-work (not with `saveState` false: the project is no longer
   *  this daemon's), then drops the connections to the other daemons (an in-process
   *  build's CLI exits with them) and saves the cache's counters. */
  close(opts?: { saveState: boolean }): Promise<void>;
  /** Writes the cache's counters (the link hits and misses) out now. */
  flushCacheStats(): Promise<void>;
}

export async function openOrchestrator(o: OrchestratorOptions): Promise<OpenOrchestrator> {
  const { root, log = silentLogger } = o;
  const config = o.config ?? daemonConfigOrDefaults(root);
  try {
    // State an older version left world-readable is tightened here too, not only at `start`.
    ensurePrivateDir(projectPaths(root).stateDir);
  } catch {
    /* a read-only project: the build reports its own failure to save state */
  }
  // Opened once for the process: the link cache here, and the compiles the peer does in-process.
  const cache = await openCache(log, config);
  const setup = new SetupPeer(root, o.useDaemons && config.enabled.setup, log);
  const compilation = new CompilationPeer({ root, enabled: o.useDaemons && config.enabled.compilation, config, log, children: o.children, cache });
  const discovery = o.useDiscovery ? new DiscoveryPeer(root, config.enabled.discovery, log) : undefined;
  const service = new OrchestratorService({ root, setup, compilation, discovery, linkCache: cache?.linkCache() });
  return {
    service,
    flushCacheStats: async () => {
      await cache?.flush();
    },
    close: async (opts = { saveState: true }) => {
      await service.close();
      // The last build's after-work saves its state: not into a project no longer this daemon's.
      if (opts.saveState) await service.settled();
      await compilation.close();
      setup.close();
      discovery?.close();
      await cache?.close();
    },
  };
}

function daemonConfigOrDefaults(root: string): DaemonConfig {
  try {
    return loadDaemonConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) return defaultDaemonConfig();
    throw e;
  }
}
