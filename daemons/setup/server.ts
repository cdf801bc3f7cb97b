// The setup daemon's RPC surface over SetupService.
import { setupTable } from '../../protocol/methods.js';
import { serve } from '../../rpc/methods.js';
import type { MethodMap } from '../../rpc/server.js';
import type { SetupService } from './service.js';

export function setupMethods(svc: SetupService): MethodMap {
  return serve(setupTable, {
    get_config: async ({ rescan, known }) => {
      const snapshot = await svc.getConfig({ rescan });
      const tag = svc.tagOf(snapshot);
      return known === tag ? { tag, unchanged: true as const } : { tag, snapshot };
    },
  });
}
