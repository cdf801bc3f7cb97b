// TurnSlices (daemons/compilation/turn-slices.ts): a batch of synchronous cache hits lets
// the event loop turn once its slice is used up, and only then.
import { describe, expect, it } from 'vitest';
import { TurnSlices } from '../../daemons/compilation/turn-slices.js';

describe('TurnSlices', () => {
  it('asks for no pause while the slice lasts; past it, every caller waits for the same next turn', async () => {
    let now = 1000;
    const slices = new TurnSlices(4, () => now);
    now += 3.9;
    expect(slices.pause()).toBeUndefined();
    now += 0.2;
    // Work queued on the loop before the pause runs before it ends: the loop has turned.
    let turned = false;
    setImmediate(() => (turned = true));
    const first = slices.pause();
    expect(first).toBeInstanceOf(Promise);
    expect(slices.pause()).toBe(first);
    expect(turned).toBe(false);
    await first;
    expect(turned).toBe(true);
    // A new slice from the end of the pause.
    now += 3;
    expect(slices.pause()).toBeUndefined();
    now += 1;
    expect(slices.pause()).toBeInstanceOf(Promise);
  });

  it('restart() begins a new slice (a request arrived), but not while a pause is pending', async () => {
    let now = 0;
    const slices = new TurnSlices(4, () => now);
    now = 10;
    slices.restart();
    expect(slices.pause()).toBeUndefined();
    now = 20;
    const p = slices.pause();
    slices.restart();
    expect(slices.pause()).toBe(p);
    await p;
  });
});
