// The orchestrator daemon's RPC surface: `build` streams its events as progress
// notifications on the caller's connection, then answers with the summary.
import { orchestratorTable } from '../../protocol/methods.js';
import { serve } from '../../rpc/methods.js';
import type { MethodMap } from '../../rpc/server.js';
import type { OrchestratorService } from './service.js';

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
    clean: () => svc.clean(),
    flush_cache_stats: async () => {
      await flushCacheStats();
      return { flushed: true as const };
    },
  });
}
