import { describe, expect, it } from 'vitest';
import { IdleCollector } from '../../daemons/host/idle-gc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IdleCollector', () => {
  it('collects once, after the last of a burst of activity has gone quiet', async () => {
    let runs = 0;
    const c = new IdleCollector(80, () => runs++);
    for (let i = 0; i < 5; i++) {
      c.activity();
      await sleep(20);
    }
    // 100 ms of activity, never 80 ms quiet: nothing yet.
    expect(runs).toBe(0);
    await sleep(200);
    expect(runs).toBe(1);
    c.activity();
    await sleep(200);
    expect(runs).toBe(2);
    c.stop();
  });

  it('does nothing without a collector (node started without --expose-gc)', async () => {
    const c = new IdleCollector(10, undefined);
    c.activity();
    await sleep(40);
    expect(c.collections).toBe(typeof (globalThis as { gc?: unknown }).gc === 'function' ? 1 : 0);
  });
});
