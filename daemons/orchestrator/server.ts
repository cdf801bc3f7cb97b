// The orchestrator daemon's RPC surface: `build` streams its events as progress
// notifications on the caller's connection, then answers with the summary.
import { NOTIFY_PROGRESS } from '../../protocol/messages.js';
import { arrayOf, bool, noParams, nonNegInt, obj, optional, str } from '../../protocol/params.js';
import { method, type MethodMap } from '../../rpc/server.js';
import type { OrchestratorService } from './service.js';

export const buildRequestParams = obj({
  targets: optional(arrayOf(str), []),
  jobs: optional(nonNegInt, 0),
  keep_going: optional(bool, false),
  verbose: optional(bool, false),
  progress: optional(bool, true),
});

export function orchestratorMethods(svc: OrchestratorService): MethodMap {
  return {
    build: method(buildRequestParams, (req, ctx) =>
      svc.build(
        req,
        (event) => {
          if (req.progress || event.type === 'diagnostics' || event.type === 'message') ctx.notify(NOTIFY_PROGRESS, { requestId: ctx.requestId, event });
        },
        ctx.signal,
      ),
    ),
    clean: method(noParams, () => svc.clean()),
  };
}
