// The discovery daemon's RPC surface.
import { discoveryTable } from '../../protocol/methods.js';
import { serve } from '../../rpc/methods.js';
import type { MethodMap } from '../../rpc/server.js';
import type { RequestScope } from '../common/request-scope.js';
import type { DiscoveryHost } from './host.js';

/** `scope` holds the paths a request reads to the project, its include dirs, build dir and cache.
 *  record_deps reads nothing (it keeps names, system headers among them), so it is not held. */
export function discoveryMethods(host: DiscoveryHost, scope: RequestScope): MethodMap {
  return serve(discoveryTable, {
    changes_since: ({ epoch, journal_id, config_generation }) =>
      host.changesSince(epoch, journal_id || null, config_generation >= 0 ? config_generation : undefined),
    wait_for_change: ({ epoch, timeout_ms }, ctx) => host.waitForChange(epoch, Math.min(timeout_ms, 300_000), ctx.signal),
    hash_many: async ({ paths }) => {
      await scope.checkReadable('hash_many: the path', paths);
      return { hashes: await host.hashMany(paths) };
    },
    record_deps: async ({ entries }) => {
      await host.recordDeps(entries);
      return { recorded: entries.length };
    },
  });
}
