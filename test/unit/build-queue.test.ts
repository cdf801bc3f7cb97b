import { describe, expect, it } from 'vitest';
import type { BuildSummary } from '../../protocol/build.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { BuildQueue } from '../../daemons/orchestrator/build-queue.js';

const ok = (): BuildSummary => ({ ok: true, compiled: 0, cached: 0, upToDate: 0, linked: 0, failed: 0, seconds: 0 });
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('BuildQueue', () => {
  it('runs builds one at a time in FIFO order', async () => {
    const q = new BuildQueue({ queueSize: 10, timeoutS: 60 });
    const order: string[] = [];
    let concurrent = 0;
    let maxConcurrent = 0;
    const job = (name: string) => async () => {
      concurrent++;
      maxConcurrent = Math.max(maxConcurrent, concurrent);
      order.push(`start ${name}`);
      await tick();
      order.push(`end ${name}`);
      concurrent--;
      return ok();
    };
    const positions: number[] = [];
    await Promise.all(['a', 'b', 'c', 'd'].map((n) => q.submit(job(n), { onQueued: (p) => positions.push(p) })));
    expect(maxConcurrent).toBe(1);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c', 'start d', 'end d']);
    expect(positions).toEqual([1, 2, 3]);
  });

  it('refuses beyond queue_size with a clear error', async () => {
    const q = new BuildQueue({ queueSize: 1, timeoutS: 60 });
    let release!: () => void;
    const first = q.submit(() => new Promise<BuildSummary>((r) => (release = () => r(ok()))));
    const second = q.submit(async () => ok());
    await expect(q.submit(async () => ok())).rejects.toMatchObject({ code: ErrorCode.QueueFull, message: expect.stringMatching(/queue_size/) });
    release();
    await expect(first).resolves.toMatchObject({ ok: true });
    await expect(second).resolves.toMatchObject({ ok: true });
    expect(q.refused).toBe(1);
  });

  it('aborts a build that runs past the timeout and names the setting', async () => {
    const q = new BuildQueue({ queueSize: 1, timeoutS: 0.05 });
    const summary = await q.submit(
      (signal) =>
        new Promise<BuildSummary>((r) => signal.addEventListener('abort', () => r({ ...ok(), ok: false, error: 'build cancelled' }))),
    );
    expect(summary.ok).toBe(false);
    expect(summary.error).toMatch(/timed out: no compile or link finished for 0.05 s.*timeout under \[daemons.orchestrator\]/);
    expect(q.timedOut).toBe(1);
  });

  it('a build that keeps finishing steps outlives the timeout; the timeout counts from its last step', async () => {
    const q = new BuildQueue({ queueSize: 1, timeoutS: 0.5 });
    let aborted = false;
    const summary = await q.submit(async (signal, progress) => {
      signal.addEventListener('abort', () => (aborted = true));
      // Fifteen steps of 60 ms: 900 ms in all, past the timeout, never 500 ms without a step.
      for (let i = 0; i < 15; i++) {
        await new Promise((r) => setTimeout(r, 60));
        progress();
      }
      return ok();
    });
    expect(aborted).toBe(false);
    expect(summary.ok).toBe(true);
    expect(q.timedOut).toBe(0);
  });

  it('a caller that goes away while queued leaves the queue', async () => {
    const q = new BuildQueue({ queueSize: 5, timeoutS: 60 });
    let release!: () => void;
    const first = q.submit(() => new Promise<BuildSummary>((r) => (release = () => r(ok()))));
    const ac = new AbortController();
    const gone = q.submit(async () => ok(), { signal: ac.signal });
    expect(q.depth).toBe(1);
    ac.abort();
    await expect(gone).rejects.toMatchObject({ code: ErrorCode.Cancelled });
    expect(q.depth).toBe(0);
    release();
    await first;
    expect(q.busy).toBe(false);
  });
});
