import { describe, it, expect } from 'vitest';
import { availableParallelism } from 'node:os';
import { getEventListeners } from 'node:events';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { CompileQueue } from '../../daemons/compilation/compile-queue.js';
import { isCancellation } from '../../toolchain/compile-runner.js';

function job(object: string, build_id?: string, args: string[] = ['-c', 'x.cpp']): CompileJob {
  const j: CompileJob = { cwd: '/p', compiler: 'g++', args, source: 'x.cpp', object, depfile: `${object}.d` };
  if (build_id !== undefined) j.build_id = build_id;
  return j;
}

const ok = (stderr = ''): CompileResult => ({ outcome: 'compiled', exit_code: 0, stderr, duration_ms: 1, headers: [], compiler_id: 'c' });

/** A compile function whose calls finish when the test says so, and that obeys its signal. */
function controllable() {
  const calls: { job: CompileJob; signal: AbortSignal; settled: boolean; finish(r?: CompileResult): void }[] = [];
  let running = 0;
  let maxRunning = 0;
  const fn = (j: CompileJob, signal: AbortSignal) =>
    new Promise<CompileResult>((resolve, reject) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      const done = (f: () => void) => {
        running--;
        call.settled = true;
        f();
      };
      signal.addEventListener('abort', () => setTimeout(() => done(() => reject(Object.assign(new Error('killed'), { name: 'AbortError' }))), 5));
      const call = { job: j, signal, settled: false, finish: (r = ok(j.object)) => done(() => resolve(r)) };
      calls.push(call);
    });
  return { fn, calls, max: () => maxRunning, running: () => running };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
async function until(cond: () => boolean) {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(cond()).toBe(true);
}

describe('CompileQueue', () => {
  it('runs at most parallel_jobs at once; 0 means one per core', async () => {
    expect(new CompileQueue({ parallel_jobs: 0 }).concurrency).toBe(availableParallelism());
    const q = new CompileQueue({ parallel_jobs: 2 });
    const c = controllable();
    const all = ['a', 'b', 'c', 'd', 'e'].map((o) => q.run(job(o), c.fn));
    await until(() => c.calls.length === 2);
    expect(q.stats()).toMatchObject({ running: 2, queued: 3, completed: 0 });
    while (c.calls.some((x) => x)) {
      const next = c.calls.shift()!;
      next.finish();
      await tick();
      await tick();
    }
    await Promise.all(all);
    expect(c.max()).toBe(2);
    expect(q.stats()).toMatchObject({ running: 0, queued: 0, completed: 5, failed: 0 });
  });

  it('shares one in-flight compile between two requests for the same object', async () => {
    const q = new CompileQueue({ parallel_jobs: 2 });
    const c = controllable();
    const p1 = q.run(job('a.o', 'b1'), c.fn);
    const p2 = q.run(job('a.o', 'b2'), c.fn);
    await until(() => c.calls.length === 1);
    c.calls[0]!.finish(ok('warning'));
    const [r1, r2] = await Promise.all([p1, p2]);
    expect(r1.stderr).toBe('warning');
    expect(r2).toBe(r1);
    expect(c.calls.length).toBe(1);
    expect(q.stats().completed).toBe(1);
  });

  it('runs a different command for the same object only after the first one ends', async () => {
    const q = new CompileQueue({ parallel_jobs: 4 });
    const c = controllable();
    const p1 = q.run(job('a.o', 'b1', ['-DX=1']), c.fn);
    const p2 = q.run(job('a.o', 'b2', ['-DX=2']), c.fn);
    await until(() => c.calls.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(c.calls.length).toBe(1);
    c.calls[0]!.finish();
    await p1;
    await until(() => c.calls.length === 2);
    expect(c.calls[1]!.job.args).toEqual(['-DX=2']);
    c.calls[1]!.finish();
    await p2;
    expect(c.max()).toBe(1);
  });

  it('cancel(build_id) drops queued jobs, kills running ones, and leaves other builds alone', async () => {
    const q = new CompileQueue({ parallel_jobs: 1 });
    const c = controllable();
    const running = q.run(job('a.o', 'doomed'), c.fn);
    const queued = q.run(job('b.o', 'doomed'), c.fn);
    const other = q.run(job('c.o', 'keeper'), c.fn);
    await until(() => c.calls.length === 1);
    expect(q.cancel('doomed')).toBe(2);
    expect(c.calls[0]!.signal.aborted).toBe(true);
    const results = await Promise.allSettled([running, queued]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect(isCancellation((r as PromiseRejectedResult).reason)).toBe(true);
    }
    // The killed compiler had exited by the time its request was answered.
    expect(c.calls[0]!.settled).toBe(true);
    await until(() => c.calls.length === 2);
    expect(c.calls[1]!.job.object).toBe('c.o');
    c.calls[1]!.finish();
    await expect(other).resolves.toMatchObject({ outcome: 'compiled' });
    expect(q.stats()).toMatchObject({ completed: 1, cancelled: 2, running: 0, queued: 0 });
  });

  it('a compile shared by two builds survives the cancellation of one of them', async () => {
    const q = new CompileQueue({ parallel_jobs: 1 });
    const c = controllable();
    const pa = q.run(job('a.o', 'A'), c.fn);
    const pb = q.run(job('a.o', 'B'), c.fn);
    await until(() => c.calls.length === 1);
    q.cancel('A');
    await expect(pa).rejects.toSatisfy(isCancellation);
    expect(c.calls[0]!.signal.aborted).toBe(false);
    c.calls[0]!.finish();
    await expect(pb).resolves.toMatchObject({ outcome: 'compiled' });
  });

  it('a request whose signal is aborted is cancelled; a new request for the object waits for the dying compile', async () => {
    const q = new CompileQueue({ parallel_jobs: 2 });
    const c = controllable();
    const ctl = new AbortController();
    const p1 = q.run(job('a.o'), c.fn, { signal: ctl.signal });
    await until(() => c.calls.length === 1);
    ctl.abort();
    const p2 = q.run(job('a.o'), c.fn);
    await expect(p1).rejects.toSatisfy(isCancellation);
    await until(() => c.calls.length === 2);
    expect(c.max()).toBe(1);
    c.calls[1]!.finish();
    await expect(p2).resolves.toMatchObject({ outcome: 'compiled' });

    const aborted = AbortSignal.abort();
    await expect(q.run(job('z.o'), c.fn, { signal: aborted })).rejects.toSatisfy(isCancellation);
    expect(c.calls.length).toBe(2);
  });

  it('counts failed outcomes and thrown errors as failed', async () => {
    const q = new CompileQueue({ parallel_jobs: 1 });
    await q.run(job('a.o'), async () => ({ ...ok(), outcome: 'failed', exit_code: 1 }));
    await expect(q.run(job('b.o'), async () => Promise.reject(new Error('daemon gone')))).rejects.toThrow('daemon gone');
    expect(q.stats()).toMatchObject({ completed: 0, failed: 2 });
  });

  it('a settled job stops listening to its caller\'s signal (a batch shares one): none are left behind', async () => {
    const q = new CompileQueue({ parallel_jobs: 2 });
    const c = controllable();
    const ac = new AbortController();
    const runs = [0, 1, 2, 3].map((i) => q.run(job(`o${i}`, 'b'), c.fn, { signal: ac.signal }));
    await until(() => c.calls.length === 2);
    for (let i = 0; i < 4; i++) {
      await until(() => c.calls.length > i);
      c.calls[i]!.finish();
    }
    await Promise.all(runs);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    // Cancelled ones too.
    const held = q.run(job('p0', 'b'), c.fn, { signal: ac.signal });
    const queued = q.run(job('p1', 'b'), c.fn, { signal: ac.signal });
    const queued2 = q.run(job('p2', 'b'), c.fn, { signal: ac.signal });
    await until(() => c.calls.length === 6);
    expect(q.cancel('b', true)).toBe(1);
    await expect(queued2).rejects.toSatisfy(isCancellation);
    c.calls[4]!.finish();
    c.calls[5]!.finish();
    await Promise.all([held, queued]);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
