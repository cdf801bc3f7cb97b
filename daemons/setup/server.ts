// The setup daemon's RPC surface over SetupService.
import { bool, obj, optional } from '../../protocol/params.js';
import { method, type MethodMap } from '../../rpc/server.js';
import type { SetupService } from './service.js';

export function setupMethods(svc: SetupService): MethodMap {
  return {
    get_config: method(obj({ rescan: optional(bool, false) }), (opts) => svc.getConfig(opts)),
  };
}
