// CompileBatcher: the engine's per-TU compile calls, handed over as one batch per turn
// of the event loop, each answered from the stream of the batch's events.
import { describe, expect, it } from 'vitest';
import type { CompileBatchEvent, CompileBatchOptions, CompileJob, CompileResult } from '../../protocol/build.js';
import { CompileBatcher } from '../../daemons/orchestrator/compile-batcher.js';
import { CompileNotStartedError } from '../../daemons/orchestrator/build-engine.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { isCancellation } from '../../toolchain/compile-runner.js';

const job = (source: string): CompileJob => ({ cwd: '/p', compiler: 'g++', args: ['-c', source], source, object: `build/${source}.o`, depfile: `build/${source}.d`, build_id: 'b' });
const result = (ms: number): CompileResult => ({ outcome: 'cached', exit_code: 0, stderr: '', duration_ms: ms, headers: [], compiler_id: 'x' });

/** A compile service that records each batch and answers as `answer` says. */
function service(answer: (jobs: CompileJob[], on: (e: CompileBatchEvent) => void) => Promise<void>) {
  const batches: { sources: string[]; opts: CompileBatchOptions }[] = [];
  return {
    batches,
    api: {
      compileBatch: (jobs: CompileJob[], opts: CompileBatchOptions, on: (e: CompileBatchEvent) => void) => {
        batches.push({ sources: jobs.map((j) => j.source), opts });
        return answer(jobs, on);
      },
    },
  };
}

describe('CompileBatcher', () => {
  it('sends the compiles asked for in one turn as one batch, and answers each from its events', async () => {
    const svc = service(async (jobs, on) => {
      for (let i = jobs.length - 1; i >= 0; i--) {
        on({ index: i, started: true, at_ms: 1000 + i });
        if (i === 1) on({ index: i, error: { code: ErrorCode.JobNotInConfig, message: 'refused' } });
        else if (i === 2) on({ index: i, skipped: true });
        else on({ index: i, result: result(i) });
      }
    });
    const b = new CompileBatcher(svc.api, 3, true);
    const signal = new AbortController().signal;
    const starts: number[] = [];
    const asked = ['a', 'b', 'c', 'd'].map((s) => b.compile(job(s), signal, (at) => starts.push(at)).then((r) => r.duration_ms, (e: Error) => e));
    const [a, refused, skipped, d] = await Promise.all(asked);
    expect(svc.batches).toEqual([{ sources: ['a', 'b', 'c', 'd'], opts: { parallel: 3, stopAfterFailure: true } }]);
    expect(a).toBe(0);
    expect(d).toBe(3);
    expect(refused).toBeInstanceOf(RpcError);
    expect((refused as RpcError).code).toBe(ErrorCode.JobNotInConfig);
    expect(skipped).toBeInstanceOf(CompileNotStartedError);
    expect(starts.sort()).toEqual([1000, 1001, 1002, 1003]);
    // A later turn is another batch.
    await b.compile(job('e'), signal);
    expect(svc.batches.map((x) => x.sources)).toEqual([['a', 'b', 'c', 'd'], ['e']]);
  });

  it("a result that carries its start (a hit's) is heard as a start first, then answers", async () => {
    const heard: string[] = [];
    const svc = service(async (_jobs, on) => {
      on({ index: 0, result: result(2), at_ms: 1234 });
      on({ index: 1, started: true, at_ms: 1300 });
      on({ index: 1, result: result(9) });
    });
    const b = new CompileBatcher(svc.api, 0, true);
    const signal = new AbortController().signal;
    const ask = (s: string) => b.compile(job(s), signal, (at) => heard.push(`start ${s} ${at}`)).then((r) => heard.push(`result ${s} ${r.duration_ms}`));
    await Promise.all([ask('a'), ask('b')]);
    expect(heard).toEqual(['start a 1234', 'start b 1300', 'result a 2', 'result b 9']);
  });

  it("a build's first 16 compiles go out at once, before the turn ends; the rest of the turn follows in one batch", async () => {
    const svc = service(async (jobs, on) => {
      for (let i = 0; i < jobs.length; i++) on({ index: i, result: result(i) });
    });
    const b = new CompileBatcher(svc.api, 2, true);
    const signal = new AbortController().signal;
    const names = Array.from({ length: 20 }, (_, i) => `s${i}`);
    const asked = names.map((s) => b.compile(job(s), signal));
    // Still in the turn that asked: the first 16 are on their way.
    expect(svc.batches.map((x) => x.sources)).toEqual([names.slice(0, 16)]);
    expect((await Promise.all(asked)).map((r) => r.duration_ms)).toEqual([...Array.from({ length: 16 }, (_, i) => i), 0, 1, 2, 3]);
    expect(svc.batches.map((x) => x.sources)).toEqual([names.slice(0, 16), names.slice(16)]);
    // Only the build's first: a later turn of 20 is one batch.
    const more = Array.from({ length: 20 }, (_, i) => `t${i}`);
    await Promise.all(more.map((s) => b.compile(job(s), signal)));
    expect(svc.batches.map((x) => x.sources).slice(2)).toEqual([more]);
  });

  it('an abort rejects the waiting compiles as cancelled; a batch that ends without an answer for a job fails it', async () => {
    let finish!: () => void;
    const svc = service((jobs, on) => {
      on({ index: 0, result: result(5) });
      return new Promise<void>((r) => (finish = r));
    });
    const b = new CompileBatcher(svc.api, 0, false);
    const ac = new AbortController();
    const one = b.compile(job('a'), ac.signal);
    const two = b.compile(job('b'), ac.signal).catch((e: Error) => e);
    expect((await one).duration_ms).toBe(5);
    ac.abort();
    expect(isCancellation(await two)).toBe(true);
    finish();
    await expect(b.compile(job('c'), ac.signal)).rejects.toSatisfy(isCancellation);

    const quiet = new CompileBatcher(service(async () => {}).api, 0, false);
    await expect(quiet.compile(job('x'), new AbortController().signal)).rejects.toThrow(/gave no answer for x/);
  });
});
