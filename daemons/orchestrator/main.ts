import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../host/daemon-process.js';
import { openOrchestrator } from '../host/open-orchestrator.js';
import { orchestratorMethods } from './server.js';

runDaemon(async (env) => {
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
    close: () => orchestrator.close(),
  };
});
