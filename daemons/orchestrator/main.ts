import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../host/daemon-process.js';
import { CompilationPeer, DiscoveryPeer, SetupPeer } from '../host/peers.js';
import { orchestratorMethods } from './server.js';
import { OrchestratorService } from './service.js';
import { openCache } from '../host/open-compilation.js';

await runDaemon(async (env) => {
  const config = loadDaemonConfig(env.root);
  const setup = new SetupPeer(env.root, config.enabled.setup, env.log);
  const compilation = new CompilationPeer(config.enabled.compilation, env.root, () => config, env.children, env.log);
  const discovery = new DiscoveryPeer(env.root, config.enabled.discovery, env.log);
  const cache = await openCache(env.log);
  const svc = new OrchestratorService({ root: env.root, setup, compilation, discovery, linkCache: cache?.linkCache() });
  return {
    methods: orchestratorMethods(svc),
    status: () => svc.status(),
    close: async () => {
      await svc.settled();
      await compilation.close();
      await cache?.flush().catch(() => undefined);
    },
  };
});
