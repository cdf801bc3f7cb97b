// Running one command with its wall-clock time measured (process.hrtime from
// just before the spawn to the child's exit), its stdout and stderr in files
// (so no pipe is drained while the clock runs), a time limit that kills the
// whole process group, and a short tail of its output for failure reports.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup.mjs';

let counter = 0;
// Commands running now (each in its own process group): killed if the run is interrupted.
const running = new Set();
let guarded = false;
function guardRunning() {
  if (guarded) return;
  guarded = true;
  onCleanup('running commands', () => {
    for (const pid of running) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
}

/**
 * Runs `cmd args` in `cwd` and resolves (never rejects) to
 * { ok, code, signal, seconds, timedOut, stdout, stderrTail, error }.
 * `logDir` receives <n>-<label>.out / .err.
 */
export function timed(cmd, args, { cwd, env = process.env, timeoutMs = 30 * 60_000, logDir, label = 'cmd', input } = {}) {
  const n = ++counter;
  const base = join(logDir, `${String(n).padStart(4, '0')}-${label.replace(/[^A-Za-z0-9_.-]+/g, '_')}`);
  const outFd = openSync(`${base}.out`, 'w');
  const errFd = openSync(`${base}.err`, 'w');
  return new Promise((resolve) => {
    let child;
    let timer;
    let timedOut = false;
    const finish = (code, signal, error) => {
      const t1 = process.hrtime.bigint();
      if (child?.pid) running.delete(child.pid);
      clearTimeout(timer);
      closeSync(outFd);
      closeSync(errFd);
      const stdout = readFileSync(`${base}.out`, 'utf8');
      const stderr = readFileSync(`${base}.err`, 'utf8');
      const tail = `${stderr}\n${stdout}`.trim().split('\n').slice(-12).join('\n');
      resolve({
        ok: !error && !timedOut && code === 0,
        code,
        signal,
        seconds: Number(t1 - t0) / 1e9,
        timedOut,
        stdout,
        stderr,
        tail,
        error: error ? error.message : timedOut ? `timed out after ${timeoutMs / 1000} s` : null,
        log: base,
      });
    };
    const t0 = process.hrtime.bigint();
    try {
      child = spawn(cmd, args, { cwd, env, stdio: [input === undefined ? 'ignore' : 'pipe', outFd, errFd], detached: true });
    } catch (e) {
      finish(null, null, e);
      return;
    }
    guardRunning();
    if (child.pid) running.add(child.pid);
    if (input !== undefined) child.stdin.end(input);
    timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid, 'SIGKILL'); // its process group: it was started detached
      } catch {
        /* gone */
      }
    }, timeoutMs);
    child.once('error', (e) => finish(null, null, e));
    child.once('exit', (code, signal) => finish(code, signal, null));
  });
}

/** The harness's own cost: spawning /bin/true, so tiny timings can be read against it. */
export async function harnessOverhead(logDir, reps = 9) {
  const xs = [];
  for (let i = 0; i < reps; i++) xs.push((await timed('true', [], { logDir, label: 'true' })).seconds);
  xs.sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)];
}
