// The live line's estimate of the time left: recorded times first, this build's
// mean where none is recorded, running TUs less what they ran, over the slots.
import { describe, expect, it } from 'vitest';
import { BuildEta } from '../../daemons/orchestrator/build-eta.js';

function clock() {
  let t = 0;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

describe('BuildEta', () => {
  it('sums recorded times over the slots, less what the running TUs have run', () => {
    const c = clock();
    const eta = new BuildEta(new Map([['a.o', 4000], ['b.o', 2000], ['c.o', 2000]]), 2, c.now);
    expect(eta.leftMs()).toBe(4000); // 8 s of work on 2 slots; the longest is 4 s
    eta.start('a.o');
    eta.start('b.o');
    c.advance(1000);
    expect(eta.leftMs()).toBe(3000); // a 3 s, b 1 s, c 2 s: 6 s over 2 slots, a alone needs 3
    eta.finish('b.o', 2000);
    eta.start('c.o');
    c.advance(1000);
    expect(eta.leftMs()).toBe(2000); // a 2 s, c 1 s
  });

  it('knows nothing before a TU with no record finishes, then uses this build\'s mean', () => {
    const c = clock();
    const eta = new BuildEta(new Map([['a.o', undefined], ['b.o', undefined], ['c.o', undefined]]), 1, c.now);
    eta.start('a.o');
    expect(eta.leftMs()).toBeUndefined();
    c.advance(3000);
    eta.finish('a.o', 3000);
    expect(eta.leftMs()).toBe(6000);
    eta.start('b.o');
    c.advance(10_000); // ran past the mean: no negative time
    expect(eta.leftMs()).toBe(3000);
  });

  it('a cache hit says nothing about the others; the recorded mean covers TUs never timed', () => {
    const eta = new BuildEta(new Map([['a.o', 1000], ['b.o', undefined]]), 1, () => 0);
    expect(eta.leftMs()).toBe(2000);
    eta.start('a.o');
    eta.finish('a.o');
    expect(eta.leftMs()).toBe(1000);
  });

  it('a TU started twice or finished unstarted counts once: the estimate ends at 0', () => {
    const c = clock();
    const eta = new BuildEta(new Map([['a.o', 1000], ['b.o', undefined], ['c.o', 3000]]), 1, c.now);
    eta.start('a.o');
    eta.start('a.o');
    eta.finish('a.o', 1000);
    expect(eta.leftMs()).toBe(4000); // b at this build's mean (1 s), c 3 s
    eta.finish('b.o'); // skipped, never started
    eta.finish('b.o');
    expect(eta.leftMs()).toBe(3000);
    eta.start('c.o');
    c.advance(500);
    expect(eta.leftMs()).toBe(2500);
    eta.finish('c.o', 500);
    expect(eta.leftMs()).toBe(0);
  });
});
