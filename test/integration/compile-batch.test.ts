// compile_batch (issue 16): a build's compiles in one request to the compilation
// daemon. Real daemons, a raw authenticated connection, real compilers: bad params are
// refused and the daemon stays up; a job the guard refuses is answered with its error
// while the others of the batch run; cancelling the build mid-batch stops its jobs,
// all of them or (queued_only) only those not started.
import { chmodSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RpcConnection } from '../../rpc/client.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { proxy } from '../../rpc/methods.js';
import { commonTable, compilationTable } from '../../protocol/methods.js';
import { HeaderListDecoder } from '../../protocol/header-lists.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { CompileBatchEvent, CompileJob } from '../../protocol/build.js';
import { loadProjectConfig } from '../../config/project-config.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import { cliSync, readRecordFile, waitFor, type TestProject, projectsPerTest } from '../helpers/project.js';
import { SLOW_CXX, childrenOf } from '../helpers/slow-compiler.js';

const project = projectsPerTest();


function threeTus(cxx = 'g++'): TestProject {
  const p = project({
    'replibuild.toml': `[project]\nname = "t"\n\n[compiler]\ncxx = "${cxx}"\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n`,
    'src/a.cpp': 'int a() { return 1; }\n',
    'src/b.cpp': 'int b() { return 2; }\n',
    'src/main.cpp': 'int a(); int b();\nint main() { return a() + b() - 3; }\n',
  });
  if (cxx !== 'g++') {
    p.write(cxx, SLOW_CXX(cxx === './slow-cxx' ? 30 : 3));
    chmodSync(join(p.root, cxx), 0o755);
  }
  return p;
}

/** The jobs a build of `p` sends, in source order, tagged with `build_id`. */
function jobsOf(p: TestProject, build_id?: string): CompileJob[] {
  const config = loadProjectConfig(p.root);
  const t = config.targets[0]!;
  return ['src/a.cpp', 'src/b.cpp', 'src/main.cpp'].map((s) => ({ ...compileJobFor(config, t, s), ...(build_id ? { build_id } : {}) }));
}

async function connect(p: TestProject): Promise<RpcConnection> {
  const token = readFileSync(join(p.root, '.replibuild/pids/token'), 'utf8').trim();
  return (await RpcConnection.open(readRecordFile(p.root, 'compilation')!.port, token)).conn;
}

/** A batch's answer and every event it streamed, by job index. */
async function batch(conn: RpcConnection, jobs: CompileJob[], parallel = 0, onEvent?: (e: CompileBatchEvent) => void) {
  const events: CompileBatchEvent[][] = jobs.map(() => []);
  const headers = new HeaderListDecoder();
  const answer = await proxy(compilationTable, conn).compile_batch(
    { jobs, parallel },
    {
      onProgress: (wire) => {
        const e = headers.event(wire);
        events[e.index]!.push(e);
        onEvent?.(e);
      },
    },
  );
  return { answer, events };
}


async function stillUp(conn: RpcConnection, p: TestProject, pid: number): Promise<void> {
  expect(await proxy(commonTable, conn).ping()).toMatchObject({ name: 'compilation', pid });
}

describe('compile_batch', () => {
  it('refuses malformed params with InvalidParams naming the bad field, and stays up', async () => {
    const p = threeTus();
    expect(cliSync(['start'], p).code).toBe(0);
    const pid = readRecordFile(p.root, 'compilation')!.pid;
    const [legit] = jobsOf(p);
    const conn = await connect(p);
    try {
      const bad: [unknown, RegExp][] = [
        [{}, /params\.jobs must be an array/],
        [{ jobs: 'src/a.cpp' }, /params\.jobs must be an array/],
        [{ jobs: [{ ...legit, args: '-c src/a.cpp' }] }, /params\.jobs\[0\]\.args must be an array/],
        [{ jobs: [legit, { ...legit, object: 7 }] }, /params\.jobs\[1\]\.object must be a string/],
        [{ jobs: [legit], parallel: -1 }, /params\.parallel must be a non-negative integer/],
        [{ jobs: [legit], what: 1 }, /params\.what must be absent/],
      ];
      for (const [params, message] of bad) {
        const err = await conn.call('compile_batch', params).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err, JSON.stringify(params)).toBeInstanceOf(RpcError);
        expect((err as RpcError).code).toBe(ErrorCode.InvalidParams);
        expect((err as RpcError).message).toMatch(message);
      }
      expect(existsSync(join(p.root, legit!.object))).toBe(false);
      await stillUp(conn, p, pid);
      // And a good batch is served on the same connection; an empty one answers at once.
      expect((await batch(conn, [])).answer).toEqual({ jobs: 0 });
      const { answer, events } = await batch(conn, [legit!]);
      expect(answer).toEqual({ jobs: 1 });
      expect(events[0]!.map((e) => Object.keys(e).sort().join(','))).toEqual(['at_ms,index,started', 'index,result']);
      expect(existsSync(join(p.root, legit!.object))).toBe(true);
    } finally {
      conn.close();
    }
  });

  it('answers a job the guard refuses with its error, runs the others, and streams each start before its result', async () => {
    const p = threeTus();
    expect(cliSync(['start'], p).code).toBe(0);
    const pid = readRecordFile(p.root, 'compilation')!.pid;
    const [a, b, main] = jobsOf(p);
    const ran = join(dirname(p.root), 'ran');
    p.write('../evil.sh', `#!/bin/sh\ntouch ${ran}\necho 12\n`);
    chmodSync(join(dirname(p.root), 'evil.sh'), 0o755);
    const evil = { ...b!, compiler: join(dirname(p.root), 'evil.sh') };
    const outside = { ...main!, object: join(dirname(p.root), 'x.o'), depfile: join(dirname(p.root), 'x.d') };
    const conn = await connect(p);
    try {
      const before = Date.now();
      const { answer, events } = await batch(conn, [a!, evil, outside, b!, main!], 1);
      expect(answer).toEqual({ jobs: 5 });
      // The refused ones: their error, as `compile` alone would answer; never started.
      expect(events[1]).toHaveLength(1);
      expect(events[1]![0]).toMatchObject({ index: 1, error: { code: ErrorCode.ProgramNotAllowed } });
      expect(events[2]).toEqual([expect.objectContaining({ index: 2, error: expect.objectContaining({ code: ErrorCode.PathOutsideProject }) })]);
      expect(existsSync(ran)).toBe(false);
      expect(existsSync(outside.object)).toBe(false);
      // The others: started (on the daemon's clock), then compiled.
      for (const i of [0, 3, 4]) {
        const [start, end] = events[i]!;
        expect(events[i]).toHaveLength(2);
        expect(start).toMatchObject({ index: i, started: true });
        expect((start as { at_ms: number }).at_ms).toBeGreaterThanOrEqual(before);
        expect(end).toMatchObject({ index: i, result: { outcome: 'compiled', exit_code: 0 } });
      }
      for (const j of [a!, b!, main!]) expect(existsSync(join(p.root, j.object))).toBe(true);
      await stillUp(conn, p, pid);
    } finally {
      conn.close();
    }
  });

  it('a cache hit sends no start of its own: its result carries when it started', async () => {
    const p = threeTus();
    expect(cliSync(['start'], p).code).toBe(0);
    const conn = await connect(p);
    try {
      // Compiled: each compile outlasts a turn of the daemon's event loop, so its start is sent as it runs.
      const first = await batch(conn, jobsOf(p, 'b-first'));
      for (const [i, e] of first.events.entries()) {
        expect(e.map((x) => Object.keys(x).sort().join(','))).toEqual(['at_ms,index,started', 'index,result']);
        expect(e[1]).toMatchObject({ index: i, result: { outcome: 'compiled' } });
      }
      // Hits: the first ones read their manifests from the store, which can outlast a turn;
      // from then on they are memos and each hit is one message, its start in its result.
      for (const build of ['b-hits', 'b-hits-again']) {
        const jobs = jobsOf(p, build);
        for (const j of jobs) rmSync(join(p.root, j.object));
        const before = Date.now();
        const { events } = await batch(conn, jobs);
        for (const [i, e] of events.entries()) {
          const last = e[e.length - 1]!;
          expect(last).toMatchObject({ index: i, result: { outcome: 'cached' } });
          // Its start told once, either way.
          const at = e.flatMap((x) => ('at_ms' in x && x.at_ms !== undefined ? [x.at_ms] : []));
          expect(at).toHaveLength(1);
          expect(at[0]).toBeGreaterThanOrEqual(before);
          expect(at[0]).toBeLessThanOrEqual(Date.now());
          if (build === 'b-hits-again') expect(e).toHaveLength(1);
          expect(existsSync(join(p.root, jobs[i]!.object))).toBe(true);
        }
      }
    } finally {
      conn.close();
    }
  });

  it('runs at most `parallel` jobs of a build at once, in the order given', async () => {
    const p = threeTus('./slow3-cxx');
    expect(cliSync(['start'], p).code).toBe(0);
    const conn = await connect(p);
    try {
      const order: string[] = [];
      let running = 0;
      let most = 0;
      const jobs = jobsOf(p, 'b-parallel');
      const { events } = await batch(conn, jobs, 1, (e) => {
        if ('started' in e) {
          order.push(`start ${e.index}`);
          most = Math.max(most, ++running);
        } else {
          order.push(`end ${e.index}`);
          running--;
        }
      });
      expect(most).toBe(1);
      expect(order).toEqual(['start 0', 'end 0', 'start 1', 'end 1', 'start 2', 'end 2']);
      for (const e of events) expect(e[1]).toMatchObject({ result: { outcome: 'compiled' } });
    } finally {
      conn.close();
    }
  }, 60_000);

  it('cancel of the build mid-batch: the running compile is killed, the queued ones dropped, every job answered Cancelled', async () => {
    const p = threeTus('./slow-cxx');
    expect(cliSync(['start'], p).code).toBe(0);
    const pid = readRecordFile(p.root, 'compilation')!.pid;
    const conn = await connect(p);
    try {
      const jobs = jobsOf(p, 'b-cancel');
      const running = batch(conn, jobs, 1);
      await waitFor(() => childrenOf(p, 'compilation').length > 0, 30_000, 'the first compiler to start');
      expect(await proxy(compilationTable, conn).cancel({ build_id: 'b-cancel' })).toEqual({ cancelled: 3 });
      const { answer, events } = await running;
      expect(answer).toEqual({ jobs: 3 });
      expect(events[0]!.map((e) => ('started' in e ? 'started' : 'error' in e ? e.error.code : 'result'))).toEqual(['started', ErrorCode.Cancelled]);
      for (const i of [1, 2]) expect(events[i]).toEqual([{ index: i, error: expect.objectContaining({ code: ErrorCode.Cancelled }) }]);
      await waitFor(() => childrenOf(p, 'compilation').length === 0, 30_000, 'the compiler to be stopped');
      for (const j of jobs) expect(existsSync(join(p.root, j.object))).toBe(false);
      await stillUp(conn, p, pid);
    } finally {
      conn.close();
    }
  }, 90_000);

  it('cancel with queued_only (a build stopping at its first failure): the running compile finishes, the queued ones are dropped', async () => {
    const p = threeTus('./slow3-cxx');
    expect(cliSync(['start'], p).code).toBe(0);
    const conn = await connect(p);
    try {
      const jobs = jobsOf(p, 'b-queued');
      const running = batch(conn, jobs, 1);
      await waitFor(() => childrenOf(p, 'compilation').length > 0, 30_000, 'the first compiler to start');
      expect(await proxy(compilationTable, conn).cancel({ build_id: 'b-queued', queued_only: true })).toEqual({ cancelled: 2 });
      const { events } = await running;
      expect(events[0]![1]).toMatchObject({ result: { outcome: 'compiled' } });
      for (const i of [1, 2]) expect(events[i]).toEqual([{ index: i, error: expect.objectContaining({ code: ErrorCode.Cancelled }) }]);
      expect(existsSync(join(p.root, jobs[0]!.object))).toBe(true);
      for (const j of jobs.slice(1)) expect(existsSync(join(p.root, j.object))).toBe(false);
    } finally {
      conn.close();
    }
  }, 60_000);

  it('a batch of cache hits streams its results as it goes: a cancel sent on the first result stops the rest', async () => {
    const files: Record<string, string> = {
      'replibuild.toml': '[project]\nname = "t"\n\n[targets.lib]\nkind = "static"\nsources = ["src/*.cpp"]\n',
    };
    for (let i = 0; i < 200; i++) files[`src/f${i}.cpp`] = `int f${i}() { return ${i}; }\n`;
    const p = project(files);
    expect(cliSync(['start'], p).code).toBe(0);
    expect(cliSync(['compile'], p).code).toBe(0);
    // A clean rebuild first: the daemon's memos of manifests and results are filled, as in
    // a warm clean rebuild, and every hit is synchronous work.
    rmSync(join(p.root, 'build'), { recursive: true, force: true });
    expect(cliSync(['compile'], p).code).toBe(0);
    rmSync(join(p.root, 'build'), { recursive: true, force: true });
    const config = loadProjectConfig(p.root);
    const t = config.targets[0]!;
    // Every job a hit, restored anew (each TU three times over, one job at a time). All in
    // one turn of the daemon's event loop, their results would leave together at the end,
    // and the cancel would be read only once nothing was left to cancel.
    const once = t.sources.map((s) => ({ ...compileJobFor(config, t, s), build_id: 'b-hits' }));
    const jobs = [...once, ...once, ...once];
    const conn = await connect(p);
    try {
      let cancelled: Promise<unknown> | null = null;
      const { answer, events } = await batch(conn, jobs, 1, (e) => {
        if ('result' in e) cancelled ??= proxy(compilationTable, conn).cancel({ build_id: 'b-hits' });
      });
      expect(await cancelled).toMatchObject({ cancelled: expect.any(Number) });
      expect(answer).toEqual({ jobs: jobs.length });
      const outcomes = events.map((es) => {
        const last = es.at(-1)!;
        return 'result' in last ? last.result.outcome : 'error' in last ? last.error.code : 'other';
      });
      expect(outcomes[0]).toBe('cached');
      const hits = outcomes.filter((o) => o === 'cached').length;
      // Read at the daemon's next turn, a few ms after the first result left: well within
      // the first of the three rounds (without the turns, hundreds of hits later).
      expect(hits).toBeLessThan(once.length);
      // The hits came first, then every job after them was dropped.
      expect(outcomes.slice(hits).every((o) => o === ErrorCode.Cancelled)).toBe(true);
      expect(existsSync(join(p.root, once[0]!.object))).toBe(true);
    } finally {
      conn.close();
    }
  }, 90_000);

  it('through the daemons, a build without -k starts nothing after its first failure; with -k the rest compiles', async () => {
    const p = threeTus();
    p.write('src/a.cpp', 'int a() { return ; }\n');
    expect(cliSync(['start'], p).code).toBe(0);
    // -j 1: a.cpp (first in plan order, no times known) fails before b.cpp or main.cpp starts.
    const r = cliSync(['compile', '--json', '-j', '1'], p);
    expect(r.code, r.stderr).toBe(1);
    expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: false, failed: 1, compiled: 0, cached: 0 });
    expect(r.stderr).toMatch(/src\/a\.cpp:1:\d+: error/);
    const [, b, main] = jobsOf(p);
    for (const j of [b!, main!]) expect(existsSync(join(p.root, j.object))).toBe(false);
    const k = cliSync(['compile', '--json', '-j', '1', '-k'], p);
    expect(k.code).toBe(1);
    expect(JSON.parse(k.stdout.trim().split('\n').pop()!)).toMatchObject({ ok: false, failed: 1, compiled: 2 });
    for (const j of [b!, main!]) expect(existsSync(join(p.root, j.object))).toBe(true);
  }, 60_000);
});
