// Starting a project's daemons: clean what is stale, reap what a killed daemon
// left behind, spawn each detached, and wait for its ready handshake.
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LauncherMessage } from '../daemons/host/daemon-process.js';
import { projectPaths, type ProjectPaths } from '../daemons/host/paths.js';
import { PRIVATE_FILE_MODE } from '../fs/private-files.js';
import { DAEMON_ARG, READY_FD_ARG, ensureDirs, ensureToken, isOurDaemon, readRecord, reapOrphans, removeRecord, type DaemonRecord } from '../daemons/host/pidfiles.js';
import { DAEMON_NAMES, type DaemonName } from '../config/daemon-names.js';
import type { DaemonConfig } from '../config/types.js';
import { probeDaemon } from '../daemons/host/daemon-probe.js';
import { UserError } from '../daemons/common/user-error.js';
import { stopDaemon } from './stopper.js';

const READY_TIMEOUT_MS = 20_000;
/** The daemon's file descriptor of the ready pipe: the first after stdio. */
const READY_FD = 3;

export type StartOutcome =
  | { name: DaemonName; state: 'started'; pid: number; port: number; ms: number }
  | { name: DaemonName; state: 'already-running'; pid: number; port: number }
  | { name: DaemonName; state: 'disabled' };

export class DaemonStartError extends UserError {
  constructor(
    readonly daemon: DaemonName,
    reason: string,
    logTail: string,
  ) {
    super(`${daemon} daemon failed to start: ${reason}${logTail ? `\nlast lines of its log:\n${logTail}` : ''}`);
    this.name = 'DaemonStartError';
  }
}

/** The last `lines` lines of `file`, from byte `from` on (what one run wrote: the log
 *  is appended to by every run of the daemon). */
export function tailFile(file: string, lines: number, from = 0): string {
  try {
    const all = readFileSync(file).subarray(from).toString('utf8').trimEnd().split('\n');
    if (all.length === 1 && all[0] === '') return '';
    return all.slice(-lines).map((l) => `  ${l}`).join('\n');
  } catch {
    return '';
  }
}

/** The young generation's cap (per semi-space, MB) of the daemons a build runs through. */
const SEMI_SPACE_MB = 4;

/**
 * Node flags of a daemon. --expose-gc: it collects when idle (idle-gc.ts).
 * --lite-mode for setup, discovery and compilation: V8 allocates feedback lazily and
 * favours size over speed (it implies --jitless: bytecode only); four processes per
 * project make every daemon's baseline the user's memory (at 20 TUs, 247 MB in all
 * without it for three daemons, 206 MB with it). Not for the orchestrator, whose
 * planning is the JS hot path of an edit: there it took about 1.7× the CPU per edit
 * (measured at 200 TUs). The compilation daemon keeps it though its hit path is a warm
 * rebuild's JS hot path: without it (2026-12-04, quiet machine, 12 interleaved warm
 * clean rebuilds of 200 heavy TUs) the daemon's CPU per rebuild fell from 125 to 76 ms
 * and the wall time from 201 to 162 ms, but the JIT's own pages and zones cost RSS at
 * every size: 50.0 → 56.9 MB at 20 TUs (the four daemons 199 → 207 MB, past issue 16's
 * 200), and at 5,000 TUs 245 → 254 MB idle and 362 → 400 MB at the peak (the
 * compilation daemon's high-water mark 132 → 174 MB). Most of what remains is the node
 * binary's own pages, counted once per process.
 * --max-semi-space-size: V8 lets the young generation grow to 16 MB per semi-space
 * under allocation bursts (a scan, a reload, a build) and keeps it. 1 MB for setup and
 * discovery. SEMI_SPACE_MB for compilation and orchestrator, which allocate on every
 * TU of a build: a young generation too small costs scavenges on the warm path, but
 * 4 MB did not slow the 200-TU warm-cache clean rebuild (median of 10: 0.45 s with it,
 * 0.53 s without; a shared 2-core machine, load 3-7) and caps each at 2 × 12 MB less.
 * --heap-growing-percent=20 for the orchestrator: it holds the biggest heap (a 20,000-TU
 * build's state and plan), and after each full collection V8 otherwise sets the next
 * limit at a multiple of the live heap it picks from its own speed (often 2× or more),
 * so garbage piles up that far before it collects; 1.2× collects sooner, which lowered
 * the 20,000-TU build's peak.
 * Not --compact-on-every-full-gc: the idle collection compacts on its own (idle-gc.ts),
 * and under the flag every full collection V8 ran mid-work briefly held the live heap
 * twice.
 */
function daemonNodeFlags(name: DaemonName): string[] {
  const common = ['--expose-gc'];
  if (name === 'orchestrator') return [...common, `--max-semi-space-size=${SEMI_SPACE_MB}`, '--heap-growing-percent=20'];
  if (name === 'compilation') return [...common, '--lite-mode', `--max-semi-space-size=${SEMI_SPACE_MB}`];
  return [...common, '--lite-mode', '--max-semi-space-size=1'];
}

/**
 * glibc malloc settings of a daemon, unless the user set them. Node's Buffers, JSON
 * texts and the thread pool's allocations live in malloc's heap, not V8's, and glibc
 * gives little of it back: after a big block (a 20,000-TU state's JSON) is freed it
 * raises its mmap threshold up to 32 MB, so later big blocks land in the main heap,
 * which is returned only from its top. A fixed threshold keeps every block over
 * 256 KB in its own mapping, returned when freed, and a fixed trim threshold gives
 * back the heap's free top past 128 KB; two arenas, not one per thread-pool thread.
 * Measured at 2,000 TUs, idle after a warm rebuild: the orchestrator 87 → 70 MB.
 */
const DAEMON_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '2',
  MALLOC_MMAP_THRESHOLD_: String(256 * 1024),
  MALLOC_TRIM_THRESHOLD_: String(128 * 1024),
};

export function daemonEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [k, v] of Object.entries(DAEMON_MALLOC_ENV)) if (out[k] === undefined) out[k] = v;
  return out;
}

/** The daemon's bundle (scripts/bundle-daemons.mjs), not tsc's daemons/<name>/main.js:
 *  the same code as one CommonJS file, which a long-lived daemon holds in memory. */
function daemonMain(name: DaemonName): string {
  return fileURLToPath(new URL(`../daemon-bundle/${name}.cjs`, import.meta.url));
}

function spawnDaemon(paths: ProjectPaths, name: DaemonName, port: number): Promise<{ pid: number; port: number }> {
  const logFd = openSync(paths.logFile(name), 'a', PRIVATE_FILE_MODE);
  // Where this run's lines begin: a failure shows only them, not an earlier run's.
  const logStart = fstatSync(logFd).size;
  const tail = () => tailFile(paths.logFile(name), 15, logStart);
  try {
    const args = [...daemonNodeFlags(name), daemonMain(name), DAEMON_ARG, name, '--project', paths.root, '--port', String(port), READY_FD_ARG, String(READY_FD)];
    const child = spawn(process.execPath, args, {
      cwd: paths.root,
      detached: true, // its own session: a Ctrl-C in the user's shell or a finished `make` must not take it down
      stdio: ['ignore', logFd, logFd, 'pipe'], // fd 3 (READY_FD): the ready handshake
      env: daemonEnv(),
    });
    const pipe = child.stdio[READY_FD] as Readable;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        done();
        try {
          child.kill('SIGKILL');
        } catch {
          /* gone */
        }
        reject(new DaemonStartError(name, `no ready handshake within ${READY_TIMEOUT_MS / 1000} s`, tail()));
      }, READY_TIMEOUT_MS);
      const done = () => {
        clearTimeout(timer);
        child.removeAllListeners();
        pipe.removeAllListeners();
        pipe.on('error', () => {}); // its end is the daemon's business now
        pipe.destroy();
      };
      let text = '';
      pipe.setEncoding('utf8');
      pipe.on('data', (chunk: string) => {
        text += chunk;
        const nl = text.indexOf('\n');
        if (nl < 0) return;
        done();
        let m: LauncherMessage;
        try {
          m = JSON.parse(text.slice(0, nl)) as LauncherMessage;
        } catch {
          return reject(new DaemonStartError(name, `unreadable ready handshake: ${text.slice(0, 200)}`, tail()));
        }
        if (m.type === 'ready') {
          child.unref();
          resolve({ pid: m.pid, port: m.port });
        } else {
          reject(new DaemonStartError(name, m.message, tail()));
        }
      });
      pipe.on('error', () => {}); // an exit says why
      child.on('error', (e) => {
        done();
        reject(new DaemonStartError(name, e.message, ''));
      });
      // 'exit' can come before the pipe's last data (a daemon that writes why it failed and
      // exits): the pipe's close, which follows it, decides.
      child.on('exit', (code, signal) => {
        const exited = () => {
          done();
          reject(new DaemonStartError(name, `exited (${signal ?? `code ${code}`}) before it was ready`, tail()));
        };
        if (pipe.closed) exited();
        else pipe.once('close', exited);
      });
    });
  } finally {
    closeSync(logFd);
  }
}

/** Kill a daemon we own that no longer answers, so a fresh one can take its place. */
function killUnresponsive(rec: DaemonRecord): void {
  try {
    process.kill(rec.pid, 'SIGKILL');
  } catch {
    /* gone already */
  }
}

export interface StartOptions {
  config: DaemonConfig;
  /** Ignore configured ports and take free ones (a second project beside the first). */
  autoPorts?: boolean;
  /** Only these daemons (default: all enabled). */
  only?: DaemonName[];
  onOutcome?(o: StartOutcome): void;
  onNote?(text: string): void;
}

/** Start every enabled daemon of the project, in dependency order. Idempotent. All or
 *  none: when one fails, the ones this call started are stopped again (by their pid),
 *  so a failed start leaves the project as it found it. */
export async function startDaemons(root: string, opts: StartOptions): Promise<StartOutcome[]> {
  const outcomes: StartOutcome[] = [];
  try {
    return await startEach(root, opts, outcomes);
  } catch (e) {
    const started = outcomes.filter((o): o is Extract<StartOutcome, { state: 'started' }> => o.state === 'started');
    for (const o of started.reverse()) {
      // The record is the daemon's own; stop it only while it is still the one we started.
      if (readRecord(projectPaths(root), o.name)?.pid !== o.pid) continue;
      const r = await stopDaemon(root, o.name);
      if (r.state === 'stopped') opts.onNote?.(`${o.name}: stopped again (pid ${o.pid}), since the start failed`);
    }
    throw e;
  }
}

async function startEach(root: string, opts: StartOptions, outcomes: StartOutcome[]): Promise<StartOutcome[]> {
  const paths = projectPaths(root);
  ensureDirs(paths);
  ensureToken(paths);
  for (const name of DAEMON_NAMES) {
    if (opts.only && !opts.only.includes(name)) continue;
    if (!opts.config.enabled[name]) {
      const o: StartOutcome = { name, state: 'disabled' };
      outcomes.push(o);
      opts.onOutcome?.(o);
      continue;
    }
    const rec = readRecord(paths, name);
    if (rec && isOurDaemon(rec)) {
      const verdict = await probeDaemon(root, name, rec);
      if (verdict.kind === 'answers' || verdict.kind === 'busy') {
        if (verdict.kind === 'busy') opts.onNote?.(`${name}: pid ${rec.pid} is running but closed every connection (${verdict.detail}); left running`);
        const o: StartOutcome = { name, state: 'already-running', pid: rec.pid, port: rec.port };
        outcomes.push(o);
        opts.onOutcome?.(o);
        continue;
      }
      if (verdict.kind === 'hung') {
        opts.onNote?.(`${name}: pid ${rec.pid} does not answer (${verdict.detail}); replacing it`);
        killUnresponsive(rec);
      }
      removeRecord(paths, name, rec.pid);
    } else if (rec) {
      opts.onNote?.(`${name}: removed stale pid file (pid ${rec.pid} is not a replibuild daemon any more)`);
      removeRecord(paths, name);
    }
    const reaped = reapOrphans(paths, name);
    if (reaped > 0) opts.onNote?.(`${name}: reaped ${reaped} process(es) left behind by its previous run`);
    // A daemon that last ran on a port other than the configured one was started
    // with --auto-ports (the default was taken): bring it back the same way.
    const movedBefore = rec !== null && rec.port > 0 && rec.port !== opts.config.ports[name];
    const port = opts.autoPorts || movedBefore ? 0 : opts.config.ports[name];
    const t0 = Date.now();
    const { pid, port: bound } = await spawnDaemon(paths, name, port);
    const o: StartOutcome = { name, state: 'started', pid, port: bound, ms: Date.now() - t0 };
    outcomes.push(o);
    opts.onOutcome?.(o);
  }
  return outcomes;
}
