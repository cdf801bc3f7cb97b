// BuildGates: a build's `parallel` bound across its compile batches.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BuildGates } from '../../daemons/compilation/build-gates.js';
import { isCancellation } from '../../toolchain/compile-runner.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('BuildGates', () => {
  it('lets `limit` jobs of a build hold a slot, the others wait in the order they asked', async () => {
    const gates = new BuildGates();
    const got: number[] = [];
    const releases: (() => void)[] = [];
    for (let i = 0; i < 4; i++) void gates.acquire('b', 2, undefined).then((r) => (got.push(i), releases.push(r)));
    // Another build has its own bound.
    let other = false;
    void gates.acquire('c', 1).then(() => (other = true));
    await tick();
    expect(got).toEqual([0, 1]);
    expect(other).toBe(true);
    releases[0]!();
    releases[0]!(); // twice frees one slot only
    await tick();
    expect(got).toEqual([0, 1, 2]);
    releases[1]!();
    await tick();
    expect(got).toEqual([0, 1, 2, 3]);
  });

  it('cancel drops the waiting jobs of that build only; an aborted signal drops one', async () => {
    const gates = new BuildGates();
    const first = await gates.acquire('b', 1);
    const outcomes: string[] = [];
    const ask = (id: string, name: string, signal?: AbortSignal) =>
      gates.acquire(id, 1, signal).then(
        (release) => (outcomes.push(`${name} ran`), release),
        (e) => (outcomes.push(`${name} ${isCancellation(e) ? 'cancelled' : 'failed'}`), null),
      );
    const ac = new AbortController();
    const waiting = [ask('b', 'x'), ask('b', 'y', ac.signal), ask('b', 'z')];
    ac.abort();
    await tick();
    expect(outcomes).toEqual(['y cancelled']);
    expect(gates.cancel('b')).toBe(2);
    await Promise.all(waiting);
    expect(outcomes).toEqual(['y cancelled', 'x cancelled', 'z cancelled']);
    // The slot holder is not touched; once it frees its slot the build's gate starts afresh.
    first();
    expect((await ask('b', 'w')) !== null).toBe(true);
    expect(gates.cancel('none')).toBe(0);
  });

  it('the waiters of one signal (a batch) share one listener on it, gone once none waits; its abort drops them all', async () => {
    const gates = new BuildGates();
    const ac = new AbortController();
    const holder = await gates.acquire('b', 1, ac.signal);
    const outcomes: string[] = [];
    const waiting = [0, 1, 2].map((i) =>
      gates.acquire('b', 1, ac.signal).then(
        (release) => (outcomes.push(`${i} ran`), release()),
        (e) => outcomes.push(`${i} ${isCancellation(e) ? 'cancelled' : 'failed'}`),
      ),
    );
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    holder();
    await Promise.all(waiting);
    expect(outcomes).toEqual(['0 ran', '1 ran', '2 ran']);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);

    const again = await gates.acquire('b', 1, ac.signal);
    const dropped = [0, 1].map((i) => gates.acquire('b', 1, ac.signal).then(() => `${i} ran`, (e) => `${i} ${isCancellation(e) ? 'cancelled' : 'failed'}`));
    ac.abort();
    expect(await Promise.all(dropped)).toEqual(['0 cancelled', '1 cancelled']);
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
    again();
    // The build's gate is free again for a job of another signal.
    (await gates.acquire('b', 1))();
  });
});
