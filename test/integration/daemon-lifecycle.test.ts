// Issue 2: the daemon runtime end to end, through the real CLI, real daemons on
// real sockets (free ports, temp dirs).
import { connect } from 'node:net';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import type { StatusReport } from '../../protocol/status.js';
import { cliSync, pidAlive, readRecordFile, waitFor, type TestProject, projectsPerTest } from '../helpers/project.js';

const project = projectsPerTest();

function status(p: TestProject): { code: number; report: StatusReport } {
  const r = cliSync(['status', '--json'], p);
  return { code: r.code, report: JSON.parse(r.stdout) as StatusReport };
}

/** Send raw bytes to a port and collect what comes back until the peer closes or `ms` pass. */
function rawExchange(port: number, payload: string | Buffer, ms = 1500): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let text = '';
    let closed = false;
    s.on('data', (d) => (text += d.toString()));
    s.on('close', () => {
      closed = true;
      resolve({ text, closed });
    });
    s.on('error', () => {});
    s.on('connect', () => s.write(payload));
    setTimeout(() => {
      s.destroy();
      resolve({ text, closed });
    }, ms);
  });
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.on('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

describe('daemon lifecycle', () => {
  it('start → status → kill -9 → status fails → ensure → stop → start again', async () => {
    const p = project();
    const start = cliSync(['start'], p);
    expect(start.code, start.stderr).toBe(0);
    for (const n of DAEMON_NAMES) expect(start.stdout).toMatch(new RegExp(`${n}\\s+started\\s+pid \\d+`));
    // Start order follows dependencies.
    const order = DAEMON_NAMES.map((n) => start.stdout.indexOf(n));
    expect([...order].sort((a, b) => a - b)).toEqual(order);

    let st = status(p);
    expect(st.code).toBe(0);
    expect(st.report.daemons.map((d) => d.state)).toEqual(['running', 'running', 'running', 'running']);
    for (const d of st.report.daemons) {
      expect(pidAlive(d.pid!)).toBe(true);
      expect(await listening(d.port!)).toBe(true);
      expect(d.rss_bytes).toBeGreaterThan(0);
    }
    // The token is private to the user.
    expect(statSync(join(p.root, '.replibuild/pids/token')).mode & 0o777).toBe(0o600);

    // Idempotent: a second start reports, not doubles.
    const again = cliSync(['start'], p);
    expect(again.code).toBe(0);
    expect(again.stdout.match(/already running/g)?.length).toBe(4);

    const victim = st.report.daemons.find((d) => d.name === 'compilation')!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor(() => !pidAlive(victim.pid!), 5000, 'killed daemon to exit');
    st = status(p);
    expect(st.code).not.toBe(0);
    expect(st.report.daemons.find((d) => d.name === 'compilation')!.state).toBe('stale');

    const ensure = cliSync(['ensure'], p);
    expect(ensure.code, ensure.stderr).toBe(0);
    st = status(p);
    expect(st.code).toBe(0);
    expect(st.report.daemons.every((d) => d.state === 'running')).toBe(true);
    const pids = st.report.daemons.map((d) => d.pid!);

    const stop = cliSync(['stop'], p);
    expect(stop.code).toBe(0);
    for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    for (const n of DAEMON_NAMES) {
      expect(existsSync(join(p.root, `.replibuild/pids/${n}.pid`))).toBe(false);
      expect(existsSync(join(p.root, `.replibuild/pids/${n}.json`))).toBe(false);
    }
    expect(status(p).code).not.toBe(0);

    const restart = cliSync(['start'], p);
    expect(restart.code, restart.stderr).toBe(0);
    expect(status(p).code).toBe(0);
  });

  it('refuses bad input with JSON-RPC errors and stays up', async () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    const token = readFileSync(join(p.root, '.replibuild/pids/token'), 'utf8').trim();
    for (const n of DAEMON_NAMES) {
      const port = readRecordFile(p.root, n)!.port;
      // No auth first: an error, then the connection is closed.
      const unauth = await rawExchange(port, '{"jsonrpc":"2.0","id":1,"method":"ping"}\n');
      expect(JSON.parse(unauth.text.split('\n')[0]).error.code).toBe(-32001);
      expect(unauth.closed).toBe(true);
      // Wrong token.
      const wrong = await rawExchange(port, '{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"nope"}}\n');
      expect(JSON.parse(wrong.text.split('\n')[0]).error.code).toBe(-32001);
      expect(wrong.closed).toBe(true);
      // Garbage bytes.
      const garbage = await rawExchange(port, Buffer.from([0xff, 0x00, 0x7b, 0x0a]));
      expect(JSON.parse(garbage.text.split('\n')[0]).error.code).toBe(-32700);
      // An oversized line (16 MiB + 1), sent without ever being buffered whole by the daemon.
      const big = Buffer.alloc(16 * 1024 * 1024 + 1, 0x61);
      const over = await rawExchange(port, Buffer.concat([big, Buffer.from('\n')]), 5000);
      expect(JSON.parse(over.text.split('\n')[0]).error.code).toBe(-32002);
      // Authenticated: malformed JSON, unknown method and bad params get errors on a live connection.
      const auth = `{"jsonrpc":"2.0","id":1,"method":"auth","params":{"token":"${token}"}}\n`;
      const mixed = await rawExchange(
        port,
        auth +
          '{not json\n' +
          '{"jsonrpc":"2.0","id":2,"method":"no_such_method"}\n' +
          '{"jsonrpc":"2.0","id":3,"method":"ping","params":{"bogus":1}}\n' +
          '{"jsonrpc":"2.0","id":4,"method":"ping"}\n',
      );
      const replies = mixed.text.trim().split('\n').map((l) => JSON.parse(l));
      expect(replies[0].result.daemon).toBe(n);
      expect(replies[1].error.code).toBe(-32700);
      expect(replies.find((r) => r.id === 2).error.code).toBe(-32601);
      expect(replies.find((r) => r.id === 3).error.code).toBe(-32602);
      expect(replies.find((r) => r.id === 4).result.name).toBe(n);
    }
    const st = status(p);
    expect(st.code).toBe(0);
    expect(st.report.daemons.every((d) => d.state === 'running')).toBe(true);
  });

  it('runs two projects side by side; a taken port gets a clear message and --auto-ports a way out', async () => {
    const a = project();
    const b = project();
    expect(cliSync(['start'], a).code).toBe(0);
    expect(cliSync(['start'], b).code).toBe(0);
    const portsA = DAEMON_NAMES.map((n) => readRecordFile(a.root, n)!.port);
    // Project c is configured with a's ports, as two projects on the defaults would be.
    const c = project({}, DAEMON_NAMES.map((n, i) => `[daemons.${n}]\nport = ${portsA[i]}\n`).join(''));
    const clash = cliSync(['start'], c);
    expect(clash.code).not.toBe(0);
    expect(clash.stderr).toMatch(/port \d+ is already in use/);
    expect(clash.stderr).toMatch(/--auto-ports|port = 0/);
    const auto = cliSync(['start', '--auto-ports'], c);
    expect(auto.code, auto.stderr).toBe(0);
    for (const p of [a, b, c]) expect(status(p).code).toBe(0);
    for (const p of [a, b, c]) {
      const pids = DAEMON_NAMES.map((n) => readRecordFile(p.root, n)!.pid);
      expect(cliSync(['stop'], p).code).toBe(0);
      for (const pid of pids) expect(pidAlive(pid)).toBe(false);
    }
  });

  it('cleans stale pid files, including a pid reused by another program', async () => {
    const p = project();
    // A pid file naming this very test process: alive, but not a replibuild daemon.
    const pids = join(p.root, '.replibuild/pids');
    mkdirSync(pids, { recursive: true });
    writeFileSync(join(pids, 'setup.pid'), `${process.pid}\n`);
    writeFileSync(join(pids, 'setup.json'), JSON.stringify({ name: 'setup', pid: process.pid, port: 1, version: '0', started: '', proc_start: null }));
    writeFileSync(join(pids, 'discovery.pid'), '999999\n');
    expect(status(p).report.daemons.find((d) => d.name === 'setup')!.state).toBe('stale');
    const start = cliSync(['start'], p);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/setup: removed stale pid file/);
    expect(pidAlive(process.pid)).toBe(true);
    expect(status(p).code).toBe(0);
  });

  it('a daemon exits by itself when its pid file or project directory disappears', async () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    const setup = readRecordFile(p.root, 'setup')!;
    rmSync(join(p.root, '.replibuild/pids/setup.pid'));
    await waitFor(() => !pidAlive(setup.pid), 10_000, 'setup to exit after its pid file went');
    // A daemon that lost its pid file writes nothing more into the project (it may be
    // `rm -rf` going through the tree): discovery neither saves its index nor logs its stop.
    const discovery = readRecordFile(p.root, 'discovery')!;
    const index = join(p.root, '.replibuild/state/discovery-index.json');
    const logged = readFileSync(join(p.root, '.replibuild/daemon_logs/discovery.log'), 'utf8');
    rmSync(index, { force: true });
    rmSync(join(p.root, '.replibuild/pids/discovery.pid'));
    await waitFor(() => !pidAlive(discovery.pid), 10_000, 'discovery to exit after its pid file went');
    expect(existsSync(index)).toBe(false);
    expect(readFileSync(join(p.root, '.replibuild/daemon_logs/discovery.log'), 'utf8')).toBe(logged);
    const pids = DAEMON_NAMES.filter((n) => n !== 'setup' && n !== 'discovery').map((n) => readRecordFile(p.root, n)!.pid);
    // Retried as `rm -rf` would have to be: a daemon writing at the moment (a log line, a
    // save of its own accord) can still land in a directory being removed.
    rmSync(p.root, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    await waitFor(() => pids.every((pid) => !pidAlive(pid)), 10_000, 'daemons to exit after the project went');
    // Their last saves did not bring the project back (discovery's once made
    // .replibuild/state/ again, parents and all, after the removal had finished).
    expect(existsSync(p.root)).toBe(false);
  });

  it('a disabled daemon is reported as such and status still succeeds', async () => {
    const ports = DAEMON_NAMES.map((n) => `[daemons.${n}]\nport = 0\n`).join('');
    const p = project({}, `[daemons]\nenable_discovery = false\n${ports}`);
    const start = cliSync(['start'], p);
    expect(start.code, start.stderr).toBe(0);
    expect(start.stdout).toMatch(/discovery\s+disabled/);
    const st = status(p);
    expect(st.code).toBe(0);
    expect(st.report.daemons.find((d) => d.name === 'discovery')!.state).toBe('disabled');
  });

  it('an invalid daemon_config.toml names file, line and key', () => {
    const p = project({}, '[daemons.compilation]\nparallel_jobs = "four"\n');
    const r = cliSync(['start'], p);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/daemon_config\.toml:2:\d+/);
    expect(r.stderr).toMatch(/parallel_jobs/);
  });

  it('logs are timestamped and readable through `replibuild logs`', () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    const r = cliSync(['logs', 'setup'], p);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO/m);
    expect(cliSync(['logs', 'nosuch'], p).code).not.toBe(0);
  });
});
