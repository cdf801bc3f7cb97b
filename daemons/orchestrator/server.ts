// The orchestrator daemon's RPC surface: `build` streams its events as progress
// notifications on the caller's connection, then answers with the summary.
import { orchestratorTable } from '../../protocol/methods.js';
import { serve } from '../../rpc/methods.js';
import type { MethodMap } from '../../rpc/server.js';
import type { OrchestratorService } from './service.js';
import { UnknownProfileError } from '../../config/profiles.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { RpcError } from '../../rpc/jsonrpc.js';

/** `flushCacheStats` writes out the counters of the cache the links go through. */
export function orchestratorMethods(svc: OrchestratorService, flushCacheStats: () => Promise<void>): MethodMap {
  return serve(orchestratorTable, {
    build: (req, ctx) =>
      svc.build(
        req,
        (event) => {
          if (req.progress || event.type === 'diagnostics' || event.type === 'message') ctx.progress(event);
        },
        ctx.signal,
      ),
    clean: ({ profile }) =>
      svc.clean(profile).catch((e: unknown) => {
        throw e instanceof UnknownProfileError ? new RpcError(ErrorCode.UnknownProfile, e.message, { profile }) : e;
      }),
    flush_cache_stats: async () => {
      await flushCacheStats();
      return { flushed: true as const };
    },
  });
}
