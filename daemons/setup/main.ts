import { runDaemon } from '../host/daemon-process.js';
import { setupMethods } from './server.js';
import { SetupService } from './service.js';

runDaemon(async (env) => {
  const svc = new SetupService(env.root, (snap) => {
    if (snap.issues.length) env.log.warn(`config has ${snap.issues.length} issue(s): ${snap.issues.map((i) => i.message).join('; ')}`);
    else env.log.info(`config loaded (generation ${snap.generation}, ${snap.project?.targets.length ?? 0} targets)`);
  });
  svc.refresh();
  return { methods: setupMethods(svc), status: () => svc.status() };
});
