import { loadDaemonConfig } from '../../config/daemon-config.js';
import { runDaemon } from '../common/daemon-process.js';
import { compilationMethods } from './server.js';
import { CompilationService } from './service.js';

await runDaemon(async (env) => {
  const config = loadDaemonConfig(env.root);
  const svc = new CompilationService({ parallelJobs: config.compilation.parallel_jobs, children: env.children });
  return {
    methods: compilationMethods(svc),
    status: () => svc.status(),
    close: async () => svc.close(),
  };
});
