// The host pool: hosts first in list order up to their limits, then local slots, then
// a wait; failing hosts set aside for a window and probed after it; cancellation.
import { describe, expect, it } from 'vitest';
import { parseDistccHosts } from '../../config/distcc-hosts.js';
import { HostPool, type Slot } from '../../toolchain/distcc/host-pool.js';

const where = (s: Slot) => (s.kind === 'local' ? 'local' : s.host.name);
const [a, b] = parseDistccHosts('a/2 b/1') as [ReturnType<typeof parseDistccHosts>[0], ReturnType<typeof parseDistccHosts>[0]];

describe('HostPool', () => {
  it('fills hosts in list order, then local slots, then waits for the first slot to free', async () => {
    const pool = new HostPool([a, b], () => 1);
    expect(pool.width()).toBe(4);
    const got = await Promise.all([1, 2, 3, 4].map(() => pool.acquire()));
    expect(got.map(where)).toEqual(['a', 'a', 'b', 'local']);
    let fifth: Slot | null = null;
    const waiting = pool.acquire().then((s) => (fifth = s));
    await Promise.resolve();
    expect(fifth).toBeNull();
    pool.release(got[2]!); // b frees
    await waiting;
    expect(where(fifth!)).toBe('b');
  });

  it('a local-only or excluding request takes what fits and does not wait behind one that does not', async () => {
    const pool = new HostPool([a], () => 1);
    const [x, y] = [await pool.acquire(), await pool.acquire()];
    expect([where(x), where(y)]).toEqual(['a', 'a']);
    const l = await pool.acquire({ localOnly: true });
    expect(where(l)).toBe('local');
    const blocked = pool.acquire({ exclude: new Set(['a']) });
    pool.release(x);
    // a has room now, but this compile failed there already: it waits for a local slot.
    const next = await pool.acquire();
    expect(where(next)).toBe('a');
    pool.release(l);
    expect(where(await blocked)).toBe('local');
  });

  it('sets a host aside after 3 failures in a row for the window, then sends it one probe', async () => {
    let now = 1_000_000;
    const pool = new HostPool([a], () => 1, { setAsideMs: 60_000, now: () => now });
    for (let i = 0; i < 2; i++) pool.failed(a, 'failed to connect to a port 3632: Connection refused (distcc exit 103)');
    expect(pool.figures()[0]).toMatchObject({ jobs: 2, failures: 2, set_aside_until: null });
    pool.succeeded(a, 100); // a success resets the run
    pool.failed(a, 'x');
    pool.failed(a, 'x');
    expect(pool.figures()[0]!.set_aside_until).toBeNull();
    pool.failed(a, 'connection refused');
    expect(pool.figures()[0]).toMatchObject({ jobs: 6, failures: 5, mean_ms: 100, set_aside_until: now + 60_000, last_error: 'connection refused' });
    expect(where(await pool.acquire())).toBe('local');
    now += 60_001;
    const probe = await pool.acquire();
    expect(where(probe)).toBe('a');
    pool.failed(a, 'still down'); // one more failure is enough now
    expect(pool.figures()[0]!.set_aside_until).toBe(now + 60_000);
  });

  it('a cancelled wait leaves the queue and rejects as a cancellation', async () => {
    const pool = new HostPool([], () => 1);
    const held = await pool.acquire();
    const ac = new AbortController();
    const w = pool.acquire({ signal: ac.signal });
    ac.abort();
    await expect(w).rejects.toMatchObject({ name: 'AbortError' });
    pool.release(held);
    expect(where(await pool.acquire())).toBe('local');
  });
});
