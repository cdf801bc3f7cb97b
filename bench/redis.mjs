// A redis-server of the run's own, for the remote-cache scenario: on a free
// loopback port (redis has no --port 0: a port is picked by binding port 0 in
// node, then tried; taken meanwhile → another), with a temp dir, no persistence,
// stopped by its PID however the run ends. A tiny RESP client for DBSIZE and
// INFO, so the harness needs no redis-cli.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { onCleanup } from './cleanup.mjs';

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One command, inline form; resolves to the reply's text (integer, status or bulk). */
export function redisCommand(port, command, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const done = (err, v) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v);
    };
    const timer = setTimeout(() => done(new Error(`redis ${command}: no reply within ${timeoutMs} ms`)), timeoutMs);
    sock.once('error', (e) => done(e));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const eol = buf.indexOf('\r\n');
      if (eol < 0) return;
      const head = buf.subarray(0, eol).toString();
      if (head[0] === '-') return done(new Error(`redis ${command}: ${head.slice(1)}`));
      if (head[0] !== '$') return done(null, head.slice(1));
      const len = Number(head.slice(1));
      if (len < 0) return done(null, null);
      if (buf.length >= eol + 2 + len) done(null, buf.subarray(eol + 2, eol + 2 + len).toString());
    });
    sock.once('connect', () => sock.write(`${command}\r\n`));
  });
}

/** INFO's "key:value" lines as an object. */
export async function redisInfo(port, section = 'memory') {
  const text = (await redisCommand(port, `INFO ${section}`)) ?? '';
  return Object.fromEntries(text.split('\r\n').filter((l) => l.includes(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1)]));
}

/**
 * Starts redis-server in `dir` (created). Resolves to {port, url, pid, version, stop()}
 * once it answers PING; throws with the tail of its log when it cannot start.
 */
export async function startRedis(dir, { log = () => {} } = {}) {
  mkdirSync(dir, { recursive: true });
  const logFile = join(dir, 'redis.log');
  let lastError = '';
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--logfile', logFile],
      { stdio: 'ignore' },
    );
    let exited = false;
    child.once('exit', () => {
      exited = true;
    });
    child.once('error', (e) => {
      exited = true;
      lastError = e.message;
    });
    const stop = onCleanup(`redis-server (port ${port})`, () => {
      if (exited || !child.pid) return;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    });
    for (let i = 0; i < 100 && !exited; i++) {
      try {
        if ((await redisCommand(port, 'PING', 1000)) === 'PONG') {
          const info = await redisInfo(port, 'server').catch(() => ({}));
          log(`redis-server ${info.redis_version ?? ''} on 127.0.0.1:${port} (pid ${child.pid})`);
          return { port, url: `redis://127.0.0.1:${port}`, pid: child.pid, version: info.redis_version ?? null, stop };
        }
      } catch {
        /* not up yet */
      }
      await sleep(50);
    }
    stop();
    let tail = '';
    try {
      tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
    } catch {
      /* no log */
    }
    lastError = tail || lastError || 'did not answer PING within 5 s';
    if (!/Address already in use/i.test(lastError)) break;
  }
  throw new Error(`redis-server did not start: ${lastError}`);
}
