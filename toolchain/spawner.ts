// Spawning from a small process. Node's spawn forks the calling process on Linux, and a
// fork's cost grows with what the parent has mapped: from a daemon it cost 0.7 ms of CPU
// per compile and blocked the daemon 0.8-2.3 ms until the child had exec'd (4 ms from a
// 160 MB process), measured with both cores busy, as a cold build keeps them. The helper
// (native/spawn-helper.c, built into dist/ by `npm run build`) starts programs with
// posix_spawn, 0.05 ms, and answers with the child's pid, output and exit status; its
// frames are spawn-frames.ts. Process groups, kills and the child tracker see the real
// pids. Its RSS, about 1 MB, is counted in the daemon's.
//
// It is stopped after 5 s with nothing to run, and exits when its stdin closes (its
// parent gone). If it dies, runs it had not started
// yet are started directly, and the ones it had started end as killed (they were its
// children). Without the binary (no C compiler when the package was built), programs are
// started directly.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { groupResult, killProcessGroup } from './group-result.js';
import { AnswerDecoder, encodeRequest, type HelperAnswer } from './spawn-frames.js';
import type { Socket } from 'node:net';
import type { GroupRunOptions, GroupRunResult } from './process-group.js';

/** The built helper: beside dist/'s directories (dist/toolchain, dist/daemon-bundle), or,
 *  run from the sources (tests), in dist/ beside them. Null when it was not built. */
export function helperBinary(): string | null {
  for (const rel of ['../spawn-helper', '../dist/spawn-helper']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return null;
}

interface Pending {
  program: string;
  pid?: number;
  /** Told the pid once the helper has started the program. */
  started(pid: number): void;
  ended(a: Exclude<HelperAnswer, { kind: 'started' }>): void;
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
    private readonly binary: string,
  ) {}

  run(program: string, args: string[], opts: GroupRunOptions): Promise<GroupRunResult> {
    if (opts.signal?.aborted) return this.direct(program, args, opts);
    const id = this.nextId++;
    let frame: Buffer;
    try {
      frame = encodeRequest({ id, program, args, cwd: opts.cwd, env: opts.env ?? process.env });
    } catch (e) {
      return Promise.reject(e);
    }
    const helper = this.helper();
    return new Promise((done) => {
      const { signal } = opts;
      let aborted = false;
      const p: Pending = {
        program,
        started: (pid) => {
          p.pid = pid;
          opts.onSpawn?.(pid);
          if (aborted) killProcessGroup(pid);
        },
        ended: (a) => {
          this.settle(id);
          signal?.removeEventListener('abort', onAbort);
          if (p.pid !== undefined) opts.onExit?.(p.pid);
          done(
            a.kind === 'failed'
              ? groupResult(null, null, '', '', a.error, aborted)
              : groupResult(a.code, a.signal, a.stdout, a.stderr, undefined, aborted),
          );
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
      helper.stdin!.write(frame);
    });
  }

  /** The helper's pid while it runs. */
  get helperPid(): number | undefined {
    return this.child?.pid;
  }

  /** Stops the helper (its running programs go on; their runs end as killed). */
  close(): void {
    clearTimeout(this.idleTimer);
    this.child?.stdin?.end();
    this.child = null;
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size > 0) return;
    this.hold(false);
    // A helper left from a build goes after a quiet while: its RSS is counted in the
    // daemon's, and the next build that needs it starts it again (process-group.ts).
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
    const c = spawn(this.binary, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child = c;
    const answers = new AnswerDecoder((id) => this.pending.get(id)?.program ?? '');
    c.stdout!.on('data', (chunk: Buffer) => {
      for (const a of answers.feed(chunk)) {
        const p = this.pending.get(a.id);
        if (!p) continue;
        if (a.kind === 'started') p.started(a.pid);
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
