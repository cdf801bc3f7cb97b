// In-process hosting of the orchestrator for `--no-daemon`, CI, and a project
// whose orchestrator is disabled: the same service modules the daemons run.
import { defaultDaemonConfig, loadDaemonConfig } from '../../config/daemon-config.js';
import { ConfigError } from '../../config/errors.js';
import { silentLogger } from '../common/logger.js';
import { projectPaths } from './paths.js';
import { ensurePrivateDir } from './private-files.js';
import { CompilationPeer, SetupPeer } from './peers.js';
import { openCache } from './open-compilation.js';
import { OrchestratorService } from '../orchestrator/service.js';
import type { DaemonConfig } from '../../config/types.js';

export interface LocalOrchestrator {
  service: OrchestratorService;
  close(): Promise<void>;
}

/** `useDaemons`: let enabled setup/compilation daemons do their part when they run. */
export async function createLocalOrchestrator(root: string, useDaemons: boolean): Promise<LocalOrchestrator> {
  const config = daemonConfigOrDefaults(root);
  try {
    // State an older version left world-readable is tightened here too, not only at `start`.
    ensurePrivateDir(projectPaths(root).stateDir);
  } catch {
    /* a read-only project: the build reports its own failure to save state */
  }
  const setup = new SetupPeer(root, useDaemons && config.enabled.setup, silentLogger);
  const compilation = new CompilationPeer(useDaemons && config.enabled.compilation, root, () => config, undefined, silentLogger);
  const cache = await openCache(silentLogger);
  const service = new OrchestratorService({ root, setup, compilation, linkCache: cache?.linkCache() });
  return {
    service,
    close: async () => {
      await service.settled();
      await compilation.close();
      setup.close();
      await cache?.flush().catch(() => undefined);
    },
  };
}

/** An invalid daemon_config.toml is reported by the build itself (setup's snapshot
 *  carries its issues, file:line:col, as the daemons report them), so here the
 *  defaults stand in until then. */
function daemonConfigOrDefaults(root: string): DaemonConfig {
  try {
    return loadDaemonConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) return defaultDaemonConfig();
    throw e;
  }
}
