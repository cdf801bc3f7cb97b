// Runs a tool (compiler, linker, ar) in its own process group, so that cancelling
// it kills the whole tree (g++ → cc1plus, as, collect2 → ld), not just the driver.

import { spawn } from 'node:child_process';
import { groupResult, killProcessGroup } from './group-result.js';
import { helperBinary, Spawner } from './spawner.js';

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

/** Start programs from the spawn helper from now on (spawner.ts), when it was built: for
 *  a daemon, whose own forks cost it CPU and block it; false stops the helper. */
export function useSpawnHelper(on: boolean): void {
  if (on) {
    const binary = helperBinary();
    if (binary) helper ??= new Spawner(runHere, binary);
  } else {
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

/** Through the helper while it runs, and to start it when programs run side by side (a
 *  build filling the cores, where a fork's CPU is taken from a compiler): a lone compile
 *  and link (an edit) start directly and never wait for the helper to start. */
function viaHelper(): Spawner | null {
  return helper && (helper.helperPid !== undefined || running >= 1) ? helper : null;
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
