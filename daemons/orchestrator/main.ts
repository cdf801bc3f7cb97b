import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../host/daemon-process.js';
import { openOrchestrator } from '../host/open-orchestrator.js';
import { orchestratorMethods } from './server.js';
import { useSpawnHelper } from '../../toolchain/process-group.js';

runDaemon(async (env) => {
  // Links (and compiles, with the compilation daemon disabled) started from the helper, as
  // the compilation daemon's compiles are: this daemon holds a build's state, and a fork of
  // it costs the more the bigger it is (toolchain/spawner.ts).
  useSpawnHelper(process.env.REPLIBUILD_SPAWN_HELPER !== '0');
  const orchestrator = await openOrchestrator({
    root: env.root,
    log: env.log,
    children: env.children,
    // A daemon does not start on an invalid daemon_config.toml.
    config: loadDaemonConfig(env.root),
    useDaemons: true,
    useDiscovery: true,
  });
  return {
    methods: orchestratorMethods(orchestrator.service, () => orchestrator.flushCacheStats()),
    status: () => orchestrator.service.status(),
    close: (o) => orchestrator.close(o),
  };
});
