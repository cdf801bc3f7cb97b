// A hostile local peer for the protocol-abuse tests, run as its own process (so
// its 1,600 sockets count against its fd limit, not the test runner's, and so it
// can run as another user). It holds unauthenticated connections to daemon ports
// and answers commands, one JSON line each way. It never runs longer than its
// time cap, and exits when its stdin closes.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const PEER_JS = String.raw`
const net = require('node:net');
const fs = require('node:fs');
const readline = require('node:readline');

const CAP_MS = Number(process.env.ABUSE_CAP_MS || 120000);
setTimeout(() => process.exit(3), CAP_MS).unref();
process.stdin.on('end', () => process.exit(0));

const say = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const pools = []; // { port, kind, socket, closed, closedAt, openedAt }
let sustain = null;
let drip = null;

function open(port, kind) {
  const entry = { port, kind, closed: false, closedAt: 0, openedAt: Date.now(), socket: null, got: '' };
  const s = net.connect({ host: '127.0.0.1', port });
  entry.socket = s;
  s.on('error', () => {});
  s.on('data', (d) => { if (entry.got.length < 4096) entry.got += d.toString(); });
  s.on('close', () => { entry.closed = true; entry.closedAt = Date.now(); });
  pools.push(entry);
  return entry;
}

function live(kind) { return pools.filter((e) => e.kind === kind && !e.closed); }

function counts() {
  const byPort = {};
  for (const e of pools) {
    const k = byPort[e.port] ??= { idle: 0, slow: 0, big: 0 };
    if (!e.closed) k[e.kind]++;
  }
  return byPort;
}

function fdLimit() {
  try {
    const m = /Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}

function forget(kind) {
  for (let i = pools.length - 1; i >= 0; i--) if (pools[i].kind === kind && pools[i].closed) pools.splice(i, 1);
}

const handlers = {
  // Open idle and slow connections to every port; with sustain, reopen the ones the
  // server closes (at most perTick per port every 100 ms) until 'calm'.
  flood({ ports, idle, slow, sustain: keep, perTick = 20 }) {
    for (const port of ports) {
      for (let i = 0; i < idle; i++) open(port, 'idle');
      for (let i = 0; i < slow; i++) open(port, 'slow');
    }
    if (!drip) {
      // Slow-loris: a byte of a never-finished line to each slow socket, each tick.
      drip = setInterval(() => {
        for (const e of live('slow')) {
          e.socket.write(e.sent ? 'x' : '{', () => {});
          e.sent = true;
        }
      }, 150);
    }
    if (keep) {
      sustain = setInterval(() => {
        for (const port of ports) {
          for (const kind of ['idle', 'slow']) {
            const want = kind === 'idle' ? idle : slow;
            const have = pools.filter((e) => e.port === port && e.kind === kind && !e.closed).length;
            for (let i = 0; i < Math.min(perTick, want - have); i++) open(port, kind);
          }
        }
        forget('idle');
        forget('slow');
      }, 100);
    }
    return { fdLimit: fdLimit(), open: counts() };
  },
  calm() {
    if (sustain) clearInterval(sustain);
    sustain = null;
    return { open: counts() };
  },
  // Connections that each send one long line without a newline.
  big({ ports, count, bytes }) {
    const chunk = Buffer.alloc(1 << 20, 0x78);
    for (const port of ports) {
      for (let i = 0; i < count; i++) {
        const e = open(port, 'big');
        e.socket.on('connect', () => {
          let left = bytes;
          const pump = () => {
            while (left > 0 && !e.closed) {
              const n = Math.min(left, chunk.length);
              left -= n;
              if (!e.socket.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void e.socket.once('drain', pump);
            }
          };
          pump();
        });
      }
    }
    return { open: counts() };
  },
  status() {
    const big = pools.filter((e) => e.kind === 'big');
    return { open: counts(), bigTold: big.filter((e) => /message too large/.test(e.got)).length, bigTotal: big.length };
  },
  // Try to read paths as this process's user; answer each one's error code or 'ok'.
  read({ paths }) {
    return {
      results: paths.map((p) => {
        try {
          if (fs.statSync(p).isDirectory()) fs.readdirSync(p);
          else fs.readFileSync(p);
          return { path: p, code: 'ok' };
        } catch (err) {
          return { path: p, code: err.code || String(err) };
        }
      }),
    };
  },
  closeAll() {
    if (sustain) clearInterval(sustain);
    if (drip) clearInterval(drip);
    sustain = drip = null;
    for (const e of pools) e.socket.destroy();
    pools.length = 0;
    return {};
  },
};

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const msg = JSON.parse(line);
  try {
    say({ id: msg.id, ok: true, ...handlers[msg.cmd](msg) });
  } catch (err) {
    say({ id: msg.id, ok: false, error: String(err && err.stack || err) });
  }
});
say({ id: 0, ok: true, ready: true, uid: process.getuid(), fdLimit: fdLimit() });
`;

export interface AbusePeer {
  child: ChildProcess;
  /** What the peer said when it started: its uid and fd limit. */
  info: { uid: number; fdLimit: number };
  /** Send a command; resolves to its answer. */
  send(cmd: string, args?: Record<string, unknown>): Promise<any>;
  /** Close every socket and end the process (by its pid). */
  stop(): Promise<void>;
}

/**
 * Start the peer. `wrap` runs it under another user (e.g. ['setpriv', '--reuid=…', '--regid=…', '--clear-groups', '--']).
 * The fd limit is raised in a shell first when the hard limit allows.
 */
export async function startAbusePeer(dir: string, opts: { wrap?: string[]; capMs?: number; nodePath?: string } = {}): Promise<AbusePeer> {
  const script = join(dir, 'abuse-peer.cjs');
  writeFileSync(script, PEER_JS, { mode: 0o644 });
  const node = opts.nodePath ?? process.execPath;
  const argv = [...(opts.wrap ?? []), '/bin/sh', '-c', 'ulimit -n 8192 2>/dev/null; exec "$0" "$@"', node, script];
  const child = spawn(argv[0], argv.slice(1), {
    stdio: ['pipe', 'pipe', 'inherit'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ABUSE_CAP_MS: String(opts.capMs ?? 120_000) },
  });
  const waiting = new Map<number, (v: any) => void>();
  let nextId = 1;
  let readyResolve: (v: any) => void = () => {};
  const ready = new Promise<any>((r) => (readyResolve = r));
  waiting.set(0, readyResolve);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let msg: any;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    waiting.get(msg.id)?.(msg);
    waiting.delete(msg.id);
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const send = (cmd: string, args: Record<string, unknown> = {}) => {
    const id = nextId++;
    return Promise.race([
      new Promise<any>((resolve) => {
        waiting.set(id, resolve);
        child.stdin!.write(JSON.stringify({ id, cmd, ...args }) + '\n');
      }),
      exited.then(() => {
        throw new Error(`abuse peer exited (code ${child.exitCode}) before answering ${cmd}`);
      }),
    ]);
  };
  const first = await Promise.race([ready, exited.then(() => ({ ok: false, error: `abuse peer exited with code ${child.exitCode}` }))]);
  if (!first.ok) throw new Error(first.error);
  return {
    child,
    info: { uid: first.uid, fdLimit: first.fdLimit },
    send,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        await send('closeAll').catch(() => undefined);
        child.stdin!.end();
        const t = setTimeout(() => child.pid && process.kill(child.pid, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
}

/** Resident set of a process in bytes (VmRSS), or null when it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
