import { describe, expect, it } from 'vitest';
import { IdleSchedule } from '../../daemons/host/idle-schedule.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until ok() holds (a loaded machine runs timers late: no fixed waits). */
async function until(ok: () => boolean, limitMs = 5000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error('condition never held');
    await sleep(10);
  }
}

describe('IdleSchedule', () => {
  it('runs when nothing is going on, again after everyMs, and not after stop()', async () => {
    let runs = 0;
    const s = new IdleSchedule(async () => void runs++, { firstMs: 20, everyMs: 100, quietMs: 50, lastActivityMs: () => 0 });
    s.start();
    await until(() => runs >= 2);
    s.stop();
    const at = runs;
    await sleep(300);
    expect(runs).toBe(at);
  });

  it('is put off while work goes on, and runs once it has been quiet for quietMs', async () => {
    const runAt: number[] = [];
    let busy = true;
    let lastEnd = 0;
    const s = new IdleSchedule(async () => void runAt.push(Date.now()), {
      firstMs: 10,
      everyMs: 60_000,
      quietMs: 100,
      lastActivityMs: () => (busy ? Date.now() : lastEnd),
    });
    s.start();
    await sleep(250);
    expect(runAt).toEqual([]); // put off, not skipped
    busy = false;
    lastEnd = Date.now();
    await until(() => runAt.length === 1);
    expect(runAt[0]! - lastEnd).toBeGreaterThanOrEqual(100);
    s.stop();
  });

  it('never runs two at once: the next is counted from the end of the last', async () => {
    let running = 0;
    let overlap = false;
    let runs = 0;
    const s = new IdleSchedule(
      async () => {
        runs++;
        if (running++) overlap = true;
        await sleep(100);
        running--;
      },
      { firstMs: 0, everyMs: 10, quietMs: 0, lastActivityMs: () => 0 },
    );
    s.start();
    await until(() => runs >= 3);
    s.stop();
    expect(overlap).toBe(false);
  });
});
