// Runs a tool (compiler, linker, ar) in its own process group, so that cancelling
// it kills the whole tree (g++ → cc1plus, as, collect2 → ld), not just the driver.

import { spawn } from 'node:child_process';
import { groupResult, killProcessGroup } from './group-result.js';
import { Spawner } from './spawner.js';

export { killProcessGroup };

export interface GroupRunOptions {
  cwd: string;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onSpawn?(pid: number): void;
  onExit?(pid: number): void;
}

export interface GroupRunResult {
  /** Exit code; for a death by signal 128 + its number, as shells report it. */
  exit_code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started at all (ENOENT, EACCES). */
  spawn_error?: NodeJS.ErrnoException;
  /** The signal fired and the group was killed. */
  aborted: boolean;
}

let helper: Spawner | null = null;
/** Programs started by runInProcessGroup still running. */
let running = 0;

/** Below this RSS the helper is not started: a fork's cost grows with the process (3.7-4
 *  ms of CPU per fork of a 135 MB process, measured under load; spawner.ts), while the
 *  helper's own RSS (about 40 MB) would be most of a small project's daemons' budget. */
const HELPER_FROM_RSS = 64 * 1024 * 1024;

/** Start programs from a small helper process from now on (spawner.ts): for a daemon,
 *  whose heap makes each of its own forks cost; false stops the helper. */
export function useSpawnHelper(on: boolean): void {
  if (on) helper ??= new Spawner(runHere);
  else {
    helper?.close();
    helper = null;
  }
}

/** Programs started here that are still running (a build's compiles and links). */
export function programsRunning(): number {
  return running;
}

/** The spawn helper's pid while it runs: its memory is the daemon's (status). */
export function spawnHelperPid(): number | undefined {
  return helper?.helperPid;
}

/** Through the helper only while programs run side by side (a build filling the cores,
 *  where each fork's CPU is taken from a compiler) and this process is big enough for a
 *  fork to cost: one compile and one link (an edit) never start it, nor wait for it to
 *  start, and a small daemon never pays its memory. */
function viaHelper(): Spawner | null {
  if (!helper) return null;
  if (helper.helperPid !== undefined) return helper;
  return running >= 1 && bigEnough() ? helper : null;
}

/** RSS at or past HELPER_FROM_RSS, read at most once a second: the read is a file's
 *  (/proc/self/stat), and a cold build asked it before every compile. */
let rssCheck = { atMs: -Infinity, big: false };
function bigEnough(): boolean {
  const now = performance.now();
  if (now - rssCheck.atMs >= 1000) rssCheck = { atMs: now, big: process.memoryUsage.rss() >= HELPER_FROM_RSS };
  return rssCheck.big;
}

export async function runInProcessGroup(program: string, args: string[], opts: GroupRunOptions): Promise<GroupRunResult> {
  const via = viaHelper();
  running++;
  try {
    return await (via ? via.run(program, args, opts) : runHere(program, args, opts));
  } finally {
    running--;
  }
}

function runHere(program: string, args: string[], opts: GroupRunOptions): Promise<GroupRunResult> {
  return new Promise((done) => {
    const { signal } = opts;
    const child = spawn(program, args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      if (child.pid !== undefined) killProcessGroup(child.pid);
    };
    let spawnError: NodeJS.ErrnoException | undefined;
    let finished = false;
    const finish = (code: number | null, sig: NodeJS.Signals | null) => {
      if (finished) return;
      finished = true;
      signal?.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) opts.onExit?.(child.pid);
      done(groupResult(code, sig, Buffer.concat(out).toString(), Buffer.concat(err).toString(), spawnError, aborted));
    };
    child.on('error', (e) => {
      // A failed spawn reports here, and its 'close' may or may not follow.
      spawnError = e;
      if (child.pid === undefined) finish(null, null);
    });
    child.on('spawn', () => {
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    });
    child.on('close', finish);
    if (signal) {
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    }
  });
}
