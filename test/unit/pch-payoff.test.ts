// Whether a precompiled header pays (daemons/orchestrator/pch-payoff.ts), and how status says it.
import { describe, expect, it } from 'vitest';
import { pchPayoff, pchSummary } from '../../daemons/orchestrator/pch-payoff.js';
import { keepTimes } from '../../daemons/orchestrator/pch-steps.js';
import type { ObjectRecord } from '../../daemons/orchestrator/build-state.js';

describe('pchPayoff', () => {
  it('is unknown (so the PCH is used) until the PCH and a user compiled', () => {
    expect(pchPayoff(undefined, [{ plain_ms: 800, pch_ms: 200 }])).toEqual({ pays: null });
    expect(pchPayoff(1500, [{}, {}])).toEqual({ pays: null });
    expect(pchPayoff(1500, [{ plain_ms: 800 }, {}])).toEqual({ pays: null });
  });

  it('without a plain time, estimates: each user saves at most the PCH compile (an upper bound, marked)', () => {
    // A project on auto from its first build: no user ever compiled without it.
    expect(pchPayoff(1500, [{ pch_ms: 200 }, { pch_ms: 210 }, {}])).toEqual({ pays: true, saved_ms: 3000, estimated: true });
    expect(pchPayoff(1500, [{ pch_ms: 200 }, { pch_ms: 210 }])).toEqual({ pays: true, saved_ms: 1500, estimated: true });
    // One user left: the PCH cannot save more than it costs.
    expect(pchPayoff(1500, [{ pch_ms: 200 }])).toEqual({ pays: false, saved_ms: 0, estimated: true });
  });

  it('a measured user replaces the estimate, and a measured loss stops the PCH', () => {
    expect(pchPayoff(1500, [{ plain_ms: 300, pch_ms: 200 }, { pch_ms: 200 }])).toEqual({ pays: false, saved_ms: -1300 });
  });

  it('weighs the mean saving per measured user, times all users, against the PCH compile', () => {
    // 600 ms saved per TU × 3 TUs = 1800 > 1500.
    expect(pchPayoff(1500, [{ plain_ms: 800, pch_ms: 200 }, { pch_ms: 250 }, {}])).toEqual({ pays: true, saved_ms: 300 });
    // 100 ms saved per TU × 2 TUs = 200 < 1500.
    expect(pchPayoff(1500, [{ plain_ms: 300, pch_ms: 200 }, { plain_ms: 300, pch_ms: 200 }])).toEqual({ pays: false, saved_ms: -1300 });
  });

  it('status names the targets that use one and what it saved, and why one is not used', () => {
    expect(pchSummary([])).toBeNull();
    expect(
      pchSummary([
        { target: 'app', header: 'build/.pch/app/x.h', users: 3, used: true, build_ms: 1500, saved_ms: 1200 },
        { target: 'lib', header: 'build/.pch/lib/y.h', users: 2, used: false, why: 'does not pay' },
        { target: 'new', header: 'build/.pch/new/z.h', users: 2, used: true },
        { target: 'est', header: 'build/.pch/est/w.h', users: 3, used: true, build_ms: 700, saved_ms: 1400, estimated: true },
      ]),
    ).toBe('app: 3 TUs, saves ~1.2s per full build; lib: not used (does not pay); new: 2 TUs; est: 3 TUs, saves up to ~1.4s per full build (estimated)');
  });
});

describe('keepTimes', () => {
  const rec = (): ObjectRecord => ({ command_hash: 'h', source: 's', source_hash: 'x', headers: [] });

  it('records a compile as with or without the PCH and carries the other time over', () => {
    const a = rec();
    keepTimes(a, 800, false, undefined);
    expect(a).toMatchObject({ compile_ms: 800, plain_ms: 800 });
    const b = rec();
    keepTimes(b, 200, true, a);
    expect(b).toMatchObject({ compile_ms: 200, pch_ms: 200, plain_ms: 800 });
    const hit = rec();
    keepTimes(hit, 200, null, b); // a cache hit measures nothing
    expect(hit).toMatchObject({ compile_ms: 200, pch_ms: 200, plain_ms: 800 });
  });
});
