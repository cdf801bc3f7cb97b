import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../common/daemon-process.js';
import { SetupPeer } from '../common/peers.js';
import { DiscoveryHost } from './host.js';
import { discoveryMethods } from './server.js';

await runDaemon(async (env) => {
  const config = loadDaemonConfig(env.root);
  const host = new DiscoveryHost(env.root, new SetupPeer(env.root, config.enabled.setup, env.log), env.log);
  return { methods: discoveryMethods(host), status: () => host.status(), close: () => host.close() };
});
