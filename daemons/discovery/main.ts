import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../host/daemon-process.js';
import { SetupPeer } from '../host/peers.js';
import { RequestScope } from '../common/request-scope.js';
import { defaultCacheDir } from '../../cache/cache-dir.js';
import { DiscoveryHost } from './host.js';
import { discoveryMethods } from './server.js';
import type { discoveryTable } from '../../protocol/methods.js';

runDaemon(async (env) => {
  const config = loadDaemonConfig(env.root);
  const setup = new SetupPeer(env.root, config.enabled.setup, env.log);
  const host = new DiscoveryHost(env.root, setup, env.log);
  const scope = new RequestScope(env.root, setup, { cacheDir: defaultCacheDir() });
  return {
    methods: discoveryMethods(host, scope),
    status: () => host.status(),
    close: (o) => host.close(o),
    parkedMethods: new Set<keyof typeof discoveryTable>(['wait_for_change']),
  };
});
