// Issue 10, items 3 and 4: unauthenticated peers against real daemons. Any local
// user can reach the ports; idle, slow-loris and oversized-line connections must
// neither lock the owner's `compile` out of the daemons nor grow a daemon's memory.
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import type { DaemonRecord } from '../../daemons/host/pidfiles.js';
import { cli, cliSync, readRecordFile, projectsPerTest, type TestProject } from '../helpers/project.js';
import { rssBytes, startAbusePeer, type AbusePeer } from '../helpers/abuse-peer.js';

const project = projectsPerTest();
const RSS_LIMIT = 200 * 1024 * 1024;
const IDLE = 300;
const SLOW = 100;

function records(p: TestProject): DaemonRecord[] {
  return DAEMON_NAMES.map((n) => {
    const r = readRecordFile(p.root, n);
    if (!r) throw new Error(`no record for ${n} after start`);
    return r;
  });
}

/** Highest VmRSS seen per daemon while `body` runs, sampled every 100 ms. */
async function watchRss<T>(recs: DaemonRecord[], body: () => Promise<T>): Promise<{ value: T; peak: Record<string, number> }> {
  const peak: Record<string, number> = {};
  const sample = () => {
    for (const r of recs) peak[r.name] = Math.max(peak[r.name] ?? 0, rssBytes(r.pid) ?? 0);
  };
  sample();
  const timer = setInterval(sample, 100);
  try {
    const value = await body();
    sample();
    return { value, peak };
  } finally {
    clearInterval(timer);
  }
}

type OpenCounts = { idle: number; slow: number; big: number };

async function openCounts(peer: AbusePeer): Promise<OpenCounts> {
  const s = await peer.send('status');
  const total: OpenCounts = { idle: 0, slow: 0, big: 0 };
  for (const c of Object.values(s.open) as OpenCounts[]) {
    total.idle += c.idle;
    total.slow += c.slow;
    total.big += c.big;
  }
  return total;
}

/** The peer's open connections once `settled` holds, or as they are after 20 s. */
async function countsOnceSettled(peer: AbusePeer, settled: (n: OpenCounts) => boolean): Promise<OpenCounts> {
  const end = Date.now() + 20_000;
  let n = await openCounts(peer);
  while (!settled(n) && Date.now() < end) {
    await new Promise((res) => setTimeout(res, 200));
    n = await openCounts(peer);
  }
  return n;
}

function expectThroughDaemons(p: TestProject, r: { code: number; stdout: string; stderr: string }): void {
  expect(r.stderr + r.stdout, 'compile under abuse').not.toMatch(/in-process|not reachable|internal error/);
  expect(r.code).toBe(0);
  // The orchestrator falls back in-process for a peer it cannot reach, and says so only in its log.
  const log = readFileSync(join(p.root, '.replibuild/daemon_logs/orchestrator.log'), 'utf8');
  expect(log).not.toMatch(/unreachable|unavailable/);
}

describe('unauthenticated connections against real daemons', () => {
  it(`keeps compile working through the daemons, and each daemon under 200 MB, with ${IDLE} idle and ${SLOW} slow connections on every port`, async () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    const recs = records(p);
    const ports = recs.map((r) => r.port);
    const peer = await startAbusePeer(dirname(p.root), { capMs: 120_000 });
    try {
      // Held for the whole build: the server closes them (deadline, eviction) and the
      // peer opens them again, at most 20 per port every 100 ms.
      const flood = await peer.send('flood', { ports, idle: IDLE, slow: SLOW, sustain: true, perTick: 20 });
      expect(flood.fdLimit, 'the abuse peer needs ~1,700 descriptors').toBeGreaterThan(ports.length * (IDLE + SLOW) + 100);
      const { value: r, peak } = await watchRss(recs, async () => {
        await new Promise((res) => setTimeout(res, 300));
        return cli(['compile'], p);
      });
      expectThroughDaemons(p, r);
      for (const rec of recs) expect(peak[rec.name], `${rec.name} RSS`).toBeLessThan(RSS_LIMIT);

      // No longer refilled: the deadline closes every idle and slow connection left.
      await peer.send('calm');
      const left = await countsOnceSettled(peer, (n) => n.idle + n.slow === 0);
      expect(left, 'unauthenticated connections still open').toEqual({ idle: 0, slow: 0, big: 0 });

      // And the daemons still build (a second, no-op compile).
      expectThroughDaemons(p, await cli(['compile'], p));
    } finally {
      await peer.stop();
    }
  }, 120_000);

  it('closes a 15 MiB first line without a newline and does not keep it', async () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    const recs = records(p);
    const ports = recs.map((r) => r.port);
    const peer = await startAbusePeer(dirname(p.root), { capMs: 120_000 });
    try {
      const { value: left, peak } = await watchRss(recs, async () => {
        await peer.send('big', { ports, count: 14, bytes: 15 * 1024 * 1024 });
        return (await countsOnceSettled(peer, (n) => n.big === 0)).big;
      });
      expect(left, 'long-line connections still open').toBe(0);
      const s = await peer.send('status');
      expect(s.bigTold, 'connections told their first line was too large').toBeGreaterThan(0);
      for (const rec of recs) {
        expect(peak[rec.name], `${rec.name} peak RSS`).toBeLessThan(RSS_LIMIT);
        expect(rssBytes(rec.pid), `${rec.name} RSS after`).toBeLessThan(RSS_LIMIT);
      }
      expectThroughDaemons(p, await cli(['compile'], p));
    } finally {
      await peer.stop();
    }
  }, 120_000);

  it('leaves a daemon running when `ensure` meets it under a flood of connections', async () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    const recs = records(p);
    const peer = await startAbusePeer(dirname(p.root), { capMs: 120_000 });
    try {
      await peer.send('flood', { ports: recs.map((r) => r.port), idle: IDLE, slow: SLOW, sustain: true, perTick: 20 });
      await new Promise((res) => setTimeout(res, 300));
      const r = await cli(['ensure'], p);
      expect(r.stdout + r.stderr).not.toMatch(/replacing|started/);
      expect(r.code).toBe(0);
      for (const rec of recs) expect(readRecordFile(p.root, rec.name)?.pid, `${rec.name} pid after ensure`).toBe(rec.pid);
    } finally {
      await peer.stop();
    }
  }, 120_000);

  it('still replaces a daemon that really hangs (stopped: it accepts but never answers)', async () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    const before = readRecordFile(p.root, 'orchestrator')!;
    process.kill(before.pid, 'SIGSTOP');
    try {
      const r = await cli(['ensure'], p);
      expect(r.stdout, r.stderr).toMatch(/orchestrator: pid \d+ does not answer/);
      expect(r.code, r.stderr).toBe(0);
      const after = readRecordFile(p.root, 'orchestrator')!;
      expect(after.pid).not.toBe(before.pid);
    } finally {
      try {
        process.kill(before.pid, 'SIGKILL');
      } catch {
        /* ensure killed it */
      }
    }
  }, 120_000);

  it('builds in-process, saying so in one line, when the orchestrator closes every connection', async () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    // The record keeps naming the live orchestrator, but its port now leads to a
    // listener that closes every connection at once, as a daemon shedding load would.
    const closer: Server = createServer((s) => s.destroy());
    await new Promise<void>((res) => closer.listen(0, '127.0.0.1', () => res()));
    try {
      const rec = readRecordFile(p.root, 'orchestrator')!;
      const port = (closer.address() as { port: number }).port;
      writeFileSync(join(p.root, '.replibuild/pids/orchestrator.json'), JSON.stringify({ ...rec, port }));
      const r = await cli(['compile'], p);
      expect(r.code, r.stderr).toBe(0);
      const notes = r.stderr.split('\n').filter((l) => /not reachable/.test(l));
      // Closed or reset, depending on whether the auth line was already on its way.
      expect(notes).toHaveLength(1);
      expect(notes[0]).toMatch(new RegExp(`^replibuild: the orchestrator daemon is not reachable \\(port ${port}: connection to the daemon (closed|failed: .+)\\); building in-process$`));
      expect(r.stderr).not.toMatch(/internal error|    at /);
      // Put the record back so the cleanup's `stop` reaches the daemon.
      writeFileSync(join(p.root, '.replibuild/pids/orchestrator.json'), JSON.stringify(rec));
    } finally {
      await new Promise<void>((res) => closer.close(() => res()));
    }
  }, 120_000);
});
