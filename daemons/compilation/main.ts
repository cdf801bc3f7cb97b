import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../host/daemon-process.js';
import { SetupPeer } from '../host/peers.js';
import { RequestScope } from '../common/request-scope.js';
import { CompileRequestGuard } from './job-guard.js';
import { openCache, scheduleCacheCleanup } from '../host/open-compilation.js';
import { compilationMethods } from './server.js';
import { CompilationService } from './service.js';

await runDaemon(async (env) => {
  let config = loadDaemonConfig(env.root);
  const cache = await openCache(env.log);
  // Requests are held to the compiles the project's config gives; setup says what that is.
  const guard = new CompileRequestGuard(new RequestScope(env.root, new SetupPeer(env.root, config.enabled.setup, env.log)));
  const svc = new CompilationService({ parallelJobs: config.compilation.parallel_jobs, children: env.children, cache });
  const stopCleanup = cache
    ? scheduleCacheCleanup(
        cache,
        () => {
          // Pick up edits of max_cache_size / cache_ttl without a restart.
          try {
            config = loadDaemonConfig(env.root);
          } catch {
            /* keep the last good settings */
          }
          return config;
        },
        env.log,
      )
    : () => {};
  return {
    methods: compilationMethods(svc, guard),
    status: () => svc.status(),
    close: async () => {
      stopCleanup();
      await svc.close();
    },
  };
});
