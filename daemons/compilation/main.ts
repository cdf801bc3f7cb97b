import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../common/daemon-process.js';
import { openCache, scheduleCacheCleanup } from './open.js';
import { compilationMethods } from './server.js';
import { CompilationService } from './service.js';

await runDaemon(async (env) => {
  let config = loadDaemonConfig(env.root);
  const cache = await openCache(env.log);
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
    methods: compilationMethods(svc),
    status: () => svc.status(),
    close: async () => {
      stopCleanup();
      await svc.close();
    },
  };
});
