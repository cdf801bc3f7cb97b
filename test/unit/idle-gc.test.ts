import { describe, expect, it } from 'vitest';
import { IdleCollector } from '../../daemons/host/idle-gc.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('IdleCollector', () => {
  it('collects after the last of a burst of activity has gone quiet, and once more a quiet while later', async () => {
    let runs = 0;
    const c = new IdleCollector(80, () => runs++, 400);
    for (let i = 0; i < 5; i++) {
      c.activity();
      await sleep(20);
    }
    // 100 ms of activity, never 80 ms quiet: nothing yet.
    expect(runs).toBe(0);
    await sleep(150);
    expect(runs).toBe(1);
    await sleep(500);
    // The second collection, then nothing more while nothing happens.
    expect(runs).toBe(2);
    await sleep(500);
    expect(runs).toBe(2);
    c.stop();
  });

  it('activity between the two collections starts over from the first', async () => {
    let runs = 0;
    const c = new IdleCollector(80, () => runs++, 400);
    c.activity();
    await sleep(150);
    expect(runs).toBe(1);
    c.activity(); // a request: its work needs the first collection again, not the second
    await sleep(150);
    expect(runs).toBe(2);
    await sleep(600);
    expect(runs).toBe(3);
    c.stop();
  });

  it('runs the quiet-time work once per quiet spell, before the first collection', async () => {
    const order: string[] = [];
    const c = new IdleCollector(80, () => order.push('gc'), 200);
    c.onQuiet = () => order.push('quiet');
    c.activity();
    await sleep(150);
    expect(order).toEqual(['quiet', 'gc']);
    await sleep(300);
    expect(order).toEqual(['quiet', 'gc', 'gc']);
    c.activity();
    await sleep(150);
    expect(order).toEqual(['quiet', 'gc', 'gc', 'quiet', 'gc']);
    c.stop();
  });

  it('does nothing without a collector (node started without --expose-gc)', async () => {
    const c = new IdleCollector(10, undefined, 10);
    c.activity();
    await sleep(60);
    expect(c.collections).toBe(typeof (globalThis as { gc?: unknown }).gc === 'function' ? 2 : 0);
  });

  it('waits while a request is still being handled (a build), then collects', async () => {
    let runs = 0;
    let busy = true;
    const c = new IdleCollector(80, () => runs++, 400);
    c.busy = () => busy;
    c.activity();
    await sleep(250);
    expect(runs).toBe(0);
    busy = false;
    await sleep(150);
    expect(runs).toBe(1);
    c.stop();
  });

  it('steps on soon after a collection that gave back pages, until one gives back none', async () => {
    let more = 3; // collections that give back pages
    let runs = 0;
    const c = new IdleCollector(40, () => (runs++, more-- > 0), 300, 10);
    c.activity();
    await sleep(200);
    // The first collection and two steps gave back pages; the third step did not.
    expect(runs).toBe(4);
    await sleep(400);
    // The second collection, which gave back nothing.
    expect(runs).toBe(5);
    c.stop();
  });

  it('a step stops at a bound even when every collection gives back pages', async () => {
    let runs = 0;
    const c = new IdleCollector(20, () => (runs++, true), 100000, 5);
    c.activity();
    await sleep(400);
    expect(runs).toBeGreaterThan(2);
    expect(runs).toBeLessThan(20);
    c.stop();
  });

  it('the second collection is due a quiet while after the first, however long its steps took', async () => {
    const at: number[] = [];
    let more = 6;
    const t0 = Date.now();
    const c = new IdleCollector(20, () => (at.push(Date.now() - t0), more-- > 0), 600, 40);
    c.activity();
    await sleep(1000);
    // The first collection at ~20 ms, six steps 40 ms apart, the last at ~260 ms; the second
    // collection at ~620 ms, not 600 ms after that step.
    expect(at).toHaveLength(8);
    expect(at[7]! - at[0]!).toBeGreaterThanOrEqual(595);
    expect(at[7]! - at[6]!).toBeLessThan(500);
    c.stop();
  });

  it('activity while stepping starts over from the first collection', async () => {
    let runs = 0;
    const c = new IdleCollector(80, () => (runs++, true), 100000, 30);
    c.activity();
    await sleep(100);
    expect(runs).toBe(1);
    c.activity();
    await sleep(60);
    // The step 30 ms after the first collection waits, with everything, for 80 ms quiet.
    expect(runs).toBe(1);
    c.stop();
  });
});
