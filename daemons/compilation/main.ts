import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../host/daemon-process.js';
import { SetupPeer } from '../host/peers.js';
import { openCompilation } from '../host/open-compilation.js';
import { RequestScope } from '../common/request-scope.js';
import { CompileRequestGuard } from './job-guard.js';
import { compilationMethods } from './server.js';
import { useSpawnHelper } from '../../toolchain/process-group.js';

runDaemon(async (env) => {
  // Compilers started from a small helper: a fork of this daemon costs it CPU and blocks
  // it (toolchain/spawner.ts). REPLIBUILD_SPAWN_HELPER=0 starts them here.
  useSpawnHelper(process.env.REPLIBUILD_SPAWN_HELPER !== '0');
  let config = loadDaemonConfig(env.root);
  // Requests are held to the compiles the project's config gives; setup says what that is.
  const guard = new CompileRequestGuard(new RequestScope(env.root, new SetupPeer(env.root, config.enabled.setup, env.log)));
  const compilation = await openCompilation({
    root: env.root,
    config,
    log: env.log,
    children: env.children,
    cleanup: () => {
      // Pick up edits of max_cache_size / cache_ttl without a restart.
      try {
        config = loadDaemonConfig(env.root);
      } catch {
        /* keep the last good settings */
      }
      return config;
    },
    afterCleanup: () => env.activity(),
  });
  return {
    methods: compilationMethods(compilation.service, guard),
    status: () => compilation.service.status(),
    close: () => compilation.close(),
    quiet: () => compilation.service.quiet(),
  };
});
