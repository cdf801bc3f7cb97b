import { describe, expect, it } from 'vitest';
import { startWindowed } from '../../daemons/orchestrator/start-window.js';

const turn = () => new Promise((r) => setImmediate(r));

/** Items that run until finished by hand, logging their starts. */
function harness(n: number) {
  const started: number[] = [];
  const finishers = new Map<number, { ok(): void; fail(): void }>();
  const run = (i: number) =>
    new Promise<string>((resolve, reject) => {
      started.push(i);
      finishers.set(i, { ok: () => resolve(`r${i}`), fail: () => reject(new Error(`e${i}`)) });
    });
  return { items: Array.from({ length: n }, (_, i) => i), started, finish: (i: number, ok = true) => (ok ? finishers.get(i)!.ok() : finishers.get(i)!.fail()), run };
}

describe('startWindowed: a build\'s TUs started a window at a time', () => {
  it('starts the first `width` in order, tops up once half of them have finished, and settles each item with its own outcome', async () => {
    const h = harness(10);
    const out = startWindowed(h.items, h.run, 4);
    expect(out).toHaveLength(10);
    expect(h.started).toEqual([0, 1, 2, 3]);
    h.finish(1);
    await turn();
    // 3 of 4 unfinished: more than half, nothing new yet.
    expect(h.started).toEqual([0, 1, 2, 3]);
    const failed = expect(out[0]).rejects.toThrow('e0');
    h.finish(0, false);
    await turn();
    // 2 of 4: topped up to 4, in order.
    expect(h.started).toEqual([0, 1, 2, 3, 4, 5]);
    await expect(out[1]).resolves.toBe('r1');
    await failed;
    for (const i of [2, 3, 4, 5]) h.finish(i);
    await turn();
    expect(h.started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const i of [6, 7, 8, 9]) h.finish(i);
    expect(await Promise.all(out.slice(2))).toEqual(['r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
  });

  it('runs everything when items finish at once, and nothing for no items', async () => {
    const started: number[] = [];
    const out = startWindowed(Array.from({ length: 50 }, (_, i) => i), async (i) => (started.push(i), i * 2), 3);
    expect(await Promise.all(out)).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(started).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(startWindowed([], async () => 1)).toEqual([]);
  });
});
