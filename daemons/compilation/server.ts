// The compilation daemon's RPC surface over CompilationService.
import type { CompileJob } from '../../protocol/build.js';
import { compilationTable } from '../../protocol/methods.js';
import { serve } from '../../rpc/methods.js';
import type { MethodMap } from '../../rpc/server.js';
import { compilerErrorToRpc } from '../../toolchain/compiler-errors.js';
import type { CompileRequestGuard } from './job-guard.js';
import { ResolvedPaths } from '../common/request-scope.js';
import { HeaderListEncoder } from '../../protocol/header-lists.js';
import type { CompilationService } from './service.js';
import { shareBatchStrings } from './batch-strings.js';

/** `guard` holds requests to the compiles the project's config gives. A cancelled
 *  compile rejects with an AbortError, which the server answers as Cancelled. */
export function compilationMethods(svc: CompilationService, guard: CompileRequestGuard): MethodMap {
  return serve(compilationTable, {
    compile: async ({ job }, ctx) => {
      await guard.checkJob(job);
      // The caller's connection closing cancels its compile.
      return svc.compile(job, ctx.signal);
    },
    compile_batch: async ({ jobs, parallel, stop_after_failure }, ctx) => {
      // Each job is checked as `compile` checks it, but for the directories the batch's
      // jobs share, resolved once a second; the caller's connection closing cancels them all.
      shareBatchStrings(jobs);
      const paths = new ResolvedPaths();
      const opts = { parallel, stopAfterFailure: stop_after_failure, signal: ctx.signal, check: (job: CompileJob) => guard.checkJob(job, paths) };
      const headers = new HeaderListEncoder();
      await svc.compileBatch(jobs, opts, (e) => ctx.progress(headers.event(e)));
      return { jobs: jobs.length };
    },
    identity: async ({ compiler, cwd, timeout_ms }, ctx) => {
      await guard.checkIdentity(compiler, cwd);
      try {
        return await svc.identity(compiler, cwd, { signal: ctx.signal, ...(timeout_ms ? { timeoutMs: timeout_ms } : {}) });
      } catch (e) {
        throw compilerErrorToRpc(e) ?? e;
      }
    },
    cancel: async ({ build_id, queued_only }) => ({ cancelled: await svc.cancel(build_id, queued_only) }),
    concurrency: async () => ({ jobs: await svc.concurrency() }),
    flush_cache_stats: async () => {
      await svc.flushCacheStats();
      return { flushed: true as const };
    },
  });
}
