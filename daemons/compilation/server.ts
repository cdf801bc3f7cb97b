// The compilation daemon's RPC surface over CompilationService.
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/messages.js';
import { arrayOf, maybe, noParams, nonNegInt, obj, str } from '../../protocol/params.js';
import { method, type MethodMap } from '../../rpc/server.js';
import { isCancellation } from '../../toolchain/compile-runner.js';
import type { CompileRequestGuard } from './job-guard.js';
import { compilerErrorToRpc } from '../../toolchain/compiler-errors.js';
import type { CompilationService } from './service.js';

export const compileJobParams = obj({
  cwd: str,
  compiler: str,
  args: arrayOf(str),
  source: str,
  object: str,
  depfile: str,
  build_id: maybe(str),
});

/** `guard` holds requests to the compiles the project's config gives. */
export function compilationMethods(svc: CompilationService, guard: CompileRequestGuard): MethodMap {
  return {
    compile: method(obj({ job: compileJobParams }), async ({ job }, ctx) => {
      await guard.checkJob(job);
      try {
        // The caller's connection closing cancels its compile.
        return await svc.compile(job, ctx.signal);
      } catch (e) {
        if (isCancellation(e)) throw new RpcError(ErrorCode.Cancelled, (e as Error).message);
        throw e;
      }
    }),
    identity: method(obj({ compiler: str, cwd: str, timeout_ms: maybe(nonNegInt) }), async ({ compiler, cwd, timeout_ms }, ctx) => {
      await guard.checkIdentity(compiler, cwd);
      try {
        return await svc.identity(compiler, cwd, { signal: ctx.signal, ...(timeout_ms ? { timeoutMs: timeout_ms } : {}) });
      } catch (e) {
        throw compilerErrorToRpc(e) ?? e;
      }
    }),
    cancel: method(obj({ build_id: str }), async ({ build_id }) => ({ cancelled: await svc.cancel(build_id) })),
    concurrency: method(noParams, async () => ({ jobs: await svc.concurrency() })),
    flush_cache_stats: method(noParams, async () => {
      await svc.flushCacheStats();
      return { flushed: true };
    }),
  };
}
