import { chmodSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CookieWaiter, SharedRounds } from '../../daemons/discovery/sync.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) {
    chmodSync(d, 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rb-disc-sync-'));
  dirs.push(d);
  return d;
}

describe('discovery sync rounds', () => {
  it('a caller joins the first round that starts after its call, and concurrent callers share it', async () => {
    const started: number[] = [];
    let n = 0;
    const gates: (() => void)[] = [];
    const rounds = new SharedRounds(async () => {
      const id = ++n;
      started.push(id);
      await new Promise<void>((r) => gates.push(r));
      return id;
    });
    const a = rounds.run(); // starts round 1
    const b = rounds.run(); // round 1 already running: joins round 2
    const c = rounds.run(); // shares round 2
    expect(started).toEqual([1]);
    gates.shift()!();
    expect(await a).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([1, 2]);
    gates.shift()!();
    expect(await b).toBe(2);
    expect(await c).toBe(2);
    const d = rounds.run();
    expect(started).toEqual([1, 2, 3]);
    gates.shift()!();
    expect(await d).toBe(3);
    await rounds.idle();
  });

  it('a failed round fails its callers only; the next round runs', async () => {
    let n = 0;
    const rounds = new SharedRounds(async () => {
      if (++n === 1) throw new Error('boom');
      return n;
    });
    await expect(rounds.run()).rejects.toThrow('boom');
    expect(await rounds.run()).toBe(2);
  });
});

describe('discovery cookies', () => {
  it('writes a cookie, resolves when it is reported, and removes it', async () => {
    const d = tmp();
    const w = new CookieWaiter(2000);
    const seenNames: string[] = [];
    const poll = setInterval(() => {
      for (const f of readdirSync(d)) if (w.prefix && f.startsWith(w.prefix) && !seenNames.includes(f)) {
        seenNames.push(f);
        w.seen(f);
      }
    }, 5);
    try {
      const r = await w.round([{ root: d, dirs: [join(d, 'missing'), d] }]);
      expect(r).toEqual({ seen: 1, unwritable: [], timedOut: [] });
      expect(seenNames).toHaveLength(1);
      expect(readdirSync(d)).toEqual([]);
    } finally {
      clearInterval(poll);
    }
  });

  it('reports roots whose cookie never came back, and roots it cannot write to', async () => {
    const d = tmp();
    const ro = tmp();
    chmodSync(ro, 0o555);
    const w = new CookieWaiter(50);
    const canWrite = process.getuid?.() === 0; // root writes anywhere
    const r = await w.round([{ root: d, dirs: [d] }, { root: ro, dirs: [ro] }]);
    expect(r.seen).toBe(0);
    expect(r.timedOut).toContain(d);
    if (!canWrite) expect(r.unwritable).toEqual([ro]);
    expect(readdirSync(d)).toEqual([]);
    expect(readdirSync(ro)).toEqual([]);
  });
});
