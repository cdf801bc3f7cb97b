// A real redis-server for a test: on a free loopback port, in a temp dir, no persistence,
// stopped by its pid after each test (even a failed one). Redis has no --port 0, so a
// port is picked by binding 0 in node, closing it and starting Redis there; a start that
// loses the port to someone else is retried on another.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { freePort } from './free-port.js';

export interface TestRedis {
  port: number;
  url: string;
  pid: number;
  /** redis-cli against it (extra args before the command, e.g. ['--user', ...]). */
  cmd(...args: string[]): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts again on the same port (after kill), with the same extra arguments. */
  restart(): Promise<void>;
}


async function launch(port: number, dir: string, extra: string[]): Promise<ChildProcess | null> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  const ok = await new Promise<boolean>((res) => {
    const t = setTimeout(() => res(false), 10_000);
    const check = () => {
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(t);
        res(true);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', () => {
      clearTimeout(t);
      res(false);
    });
  });
  if (ok) return child;
  if (child.exitCode === null) child.kill('SIGKILL');
  if (!/Address already in use/.test(out)) throw new Error(`redis-server did not start:\n${out}`);
  return null;
}

/** Call at the top of a test file; each call of the returned function starts one Redis. */
export function redisPerTest(): (extra?: string[]) => Promise<TestRedis> {
  const started: { child: ChildProcess | null; dir: string }[] = [];
  afterEach(async () => {
    for (const s of started.splice(0)) {
      if (s.child && s.child.exitCode === null && s.child.signalCode === null) {
        const gone = new Promise((r) => s.child!.once('exit', r));
        s.child.kill('SIGKILL');
        await gone;
      }
      rmSync(s.dir, { recursive: true, force: true });
    }
  });
  return async (extra = []) => {
    const dir = mkdtempSync(join(tmpdir(), 'replibuild-redis-'));
    const entry: { child: ChildProcess | null; dir: string } = { child: null, dir };
    started.push(entry);
    let port = 0;
    for (let attempt = 0; attempt < 5 && !entry.child; attempt++) {
      port = await freePort();
      entry.child = await launch(port, dir, extra);
    }
    if (!entry.child) throw new Error('could not start redis-server on a free port');
    const r: TestRedis = {
      port,
      url: `redis://127.0.0.1:${port}`,
      pid: entry.child.pid!,
      cmd: (...args) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout.trim(),
      kill: async (signal = 'SIGKILL') => {
        const c = entry.child!;
        if (c.exitCode !== null || c.signalCode !== null) return;
        const gone = new Promise((res) => c.once('exit', res));
        process.kill(c.pid!, signal);
        await gone;
      },
      restart: async () => {
        for (let attempt = 0; attempt < 50; attempt++) {
          entry.child = await launch(port, dir, extra);
          if (entry.child) break;
          await new Promise((res) => setTimeout(res, 100));
        }
        if (!entry.child) throw new Error(`could not restart redis-server on port ${port}`);
        r.pid = entry.child.pid!;
      },
    };
    return r;
  };
}
