// The discovery daemon's RPC surface.
import { arrayOf, nonNegInt, obj, optional, str } from '../../protocol/params.js';
import type { RequestScope } from '../common/request-scope.js';
import { method, type MethodMap } from '../../rpc/server.js';
import type { DiscoveryHost } from './host.js';

/** `scope` holds the paths a request reads to the project, its include dirs, build dir and cache.
 *  record_deps reads nothing (it keeps names, system headers among them), so it is not held. */
export function discoveryMethods(host: DiscoveryHost, scope: RequestScope): MethodMap {
  return {
    changes_since: method(
      obj({ epoch: nonNegInt, journal_id: optional(str, ''), config_generation: optional(nonNegInt, -1) }),
      ({ epoch, journal_id, config_generation }) =>
        host.changesSince(epoch, journal_id || null, config_generation >= 0 ? config_generation : undefined),
    ),
    wait_for_change: method(obj({ epoch: nonNegInt, timeout_ms: optional(nonNegInt, 30_000) }), ({ epoch, timeout_ms }, ctx) =>
      host.waitForChange(epoch, Math.min(timeout_ms, 300_000), ctx.signal),
    ),
    hash_many: method(obj({ paths: arrayOf(str) }), async ({ paths }) => {
      await scope.checkReadable('hash_many: the path', paths);
      return { hashes: await host.hashMany(paths) };
    }),
    record_deps: method(obj({ entries: arrayOf(obj({ source: str, headers: arrayOf(str) })) }), async ({ entries }) => {
      await host.recordDeps(entries);
      return { recorded: entries.length };
    }),
  };
}
