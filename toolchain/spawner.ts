// Spawning from a small process. Node's spawn forks the calling process on Linux, and a
// fork's cost grows with what the parent has mapped: from a daemon of 100+ MB it was
// 15-20 ms of CPU per compile under load (4 ms from a 50 MB process), measured, all of it
// taken from the compilers a cold build keeps on every core. A helper node process that
// has loaded nothing but child_process forks instead, and answers with the child's pid,
// output and exit status. Process groups, kills and the child tracker see the real pids.
//
// The helper reads one JSON request per line on stdin and exits when stdin closes (its
// parent gone); it is started on first use. If it dies, runs it had not started yet are
// started directly, and the ones it had started end as killed (they were its children).

import { spawn, type ChildProcess } from 'node:child_process';
import { LineDecoder } from '../rpc/framing.js';
import { groupResult, killProcessGroup } from './group-result.js';
import type { Socket } from 'node:net';
import type { GroupRunOptions, GroupRunResult } from './process-group.js';

/** The helper's whole program (CommonJS, for `node -e`): nothing else is loaded. */
const HELPER = `
const { spawn } = require('child_process');
const send = (m) => process.stdout.write(JSON.stringify(m) + '\\n');
require('readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const m = JSON.parse(line);
  const out = [], err = [];
  let spawnError, finished = false, child;
  const finish = (code, signal) => {
    if (finished) return;
    finished = true;
    send({ id: m.id, code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), spawnError });
  };
  try {
    child = spawn(m.program, m.args, { cwd: m.cwd, env: m.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    spawnError = { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
    return finish(null, null);
  }
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  child.on('error', (e) => {
    spawnError = { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, path: e.path };
    if (child.pid === undefined) finish(null, null);
  });
  child.on('spawn', () => send({ id: m.id, pid: child.pid }));
  child.on('close', finish);
}).on('close', () => process.exit(0));
`;

interface HelperAnswer {
  id: number;
  pid?: number;
  code?: number | null;
  signal?: NodeJS.Signals | null;
  stdout?: string;
  stderr?: string;
  spawnError?: { message: string; code?: string; errno?: number; syscall?: string; path?: string };
}

interface Pending {
  pid?: number;
  /** Told the pid once the helper has started the program. */
  started(pid: number): void;
  ended(a: HelperAnswer): void;
  /** The helper died: `pid` undefined means the program never started. */
  lost(): void;
}

/** How long a helper with nothing to run stays. */
const HELPER_IDLE_MS = 5_000;

export class Spawner {
  private child: ChildProcess | null = null;
  private idleTimer: NodeJS.Timeout | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    /** Runs a program directly: used when the helper is gone before starting it. */
    private readonly direct: (program: string, args: string[], opts: GroupRunOptions) => Promise<GroupRunResult>,
  ) {}

  run(program: string, args: string[], opts: GroupRunOptions): Promise<GroupRunResult> {
    if (opts.signal?.aborted) return this.direct(program, args, opts);
    const helper = this.helper();
    const id = this.nextId++;
    return new Promise((done) => {
      const { signal } = opts;
      let aborted = false;
      const p: Pending = {
        started: (pid) => {
          p.pid = pid;
          opts.onSpawn?.(pid);
          if (aborted) killProcessGroup(pid);
        },
        ended: (a) => {
          this.settle(id);
          signal?.removeEventListener('abort', onAbort);
          if (p.pid !== undefined) opts.onExit?.(p.pid);
          done(resultOf(a, aborted));
        },
        lost: () => {
          this.settle(id);
          signal?.removeEventListener('abort', onAbort);
          if (p.pid === undefined) return void this.direct(program, args, opts).then(done);
          opts.onExit?.(p.pid);
          killProcessGroup(p.pid);
          done({ exit_code: 137, signal: 'SIGKILL', stdout: '', stderr: 'replibuild: the process that started this command died\n', aborted });
        },
      };
      const onAbort = () => {
        aborted = true;
        if (p.pid !== undefined) killProcessGroup(p.pid);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, p);
      this.hold(true);
      helper.stdin!.write(JSON.stringify({ id, program, args, cwd: opts.cwd, env: opts.env ?? process.env }) + '\n');
    });
  }

  /** The helper's pid while it runs. */
  get helperPid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the helper (its running programs go on; their runs end as killed). */
  close(): void {
    this.child?.stdin?.end();
    this.child = null;
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size > 0) return;
    this.hold(false);
    // A helper left from a build goes after a quiet while: its memory is the daemon's,
    // and the next build that needs it starts it again (runInProcessGroup).
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.pending.size === 0) this.close();
    }, HELPER_IDLE_MS).unref();
  }

  /** The helper keeps this process alive only while it runs something for it. */
  private hold(on: boolean): void {
    const c = this.child;
    if (!c) return;
    for (const s of [c, c.stdout as Socket | null, c.stdin as unknown as Socket | null]) {
      if (on) s?.ref?.();
      else s?.unref?.();
    }
  }

  private helper(): ChildProcess {
    if (this.child) return this.child;
    // Its own start loads no certificates (each request carries the programs' environment).
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    const c = spawn(process.execPath, ['--max-old-space-size=64', '--max-semi-space-size=1', '-e', HELPER], { stdio: ['pipe', 'pipe', 'inherit'], env });
    this.child = c;
    // The JSON-RPC framing's line decoder, not node:readline: readline would be loaded
    // (some 640 KB of RSS) by every daemon whose bundle holds this module. No bound: the
    // helper is ours, and an answer dropped as too long would leave its run waiting.
    const lines = new LineDecoder(Infinity);
    c.stdout!.on('data', (chunk: Buffer) => {
      for (const ev of lines.feed(chunk)) {
        if (ev.kind !== 'line') continue;
        const a = JSON.parse(ev.line) as HelperAnswer;
        const p = this.pending.get(a.id);
        if (!p) continue;
        if (a.pid !== undefined && a.code === undefined) p.started(a.pid);
        else p.ended(a);
      }
    });
    const gone = () => {
      if (this.child === c) this.child = null;
      for (const p of [...this.pending.values()]) p.lost();
    };
    // 'close', not 'exit': the answers it wrote before dying are read first.
    c.on('close', gone);
    c.on('error', gone);
    c.stdin!.on('error', () => undefined);
    return c;
  }
}

function resultOf(a: HelperAnswer, aborted: boolean): GroupRunResult {
  const spawnError = a.spawnError ? (Object.assign(new Error(a.spawnError.message), a.spawnError) as NodeJS.ErrnoException) : undefined;
  return groupResult(a.code ?? null, a.signal ?? null, a.stdout ?? '', a.stderr ?? '', spawnError, aborted);
}
