// Things to undo however the run ends: daemons and servers this run started
// (stopped by their own stop commands, then by PID), temp dirs. Handlers run
// last-registered first, once each; on SIGINT/SIGTERM they run and the process
// exits 130.
import { renameSync, rmSync } from 'node:fs';

const handlers = [];
let installed = false;

export function onCleanup(name, fn) {
  const h = { name, fn, done: false };
  handlers.push(h);
  install();
  return () => runOne(h);
}

function runOne(h) {
  if (h.done) return;
  h.done = true;
  try {
    h.fn();
  } catch (e) {
    process.stderr.write(`[bench] cleanup ${h.name} failed: ${e.message}\n`);
  }
}

export function runCleanups() {
  for (let i = handlers.length - 1; i >= 0; i--) runOne(handlers[i]);
}

/** A daemon may still be saving into a dir (its state) after it answered: a removal racing
 *  that save can meet a file made between its listing and its rmdir (ENOTEMPTY). The dir
 *  is moved aside first, atomically; a late save makes a fresh one. */
export function removeDir(dir) {
  let target = `${dir}.removed-${process.pid}-${Date.now()}`;
  try {
    renameSync(dir, target);
  } catch (e) {
    if (e.code === 'ENOENT') return;
    target = dir; // cannot be moved (a mount point?): removed where it is
  }
  rmSync(target, { recursive: true, force: true, maxRetries: 3 });
}

/** Kills the given PIDs (processes this run started) if they are still alive. */
export function killPids(pids) {
  for (const pid of pids) {
    if (!Number.isInteger(pid) || pid <= 1) continue;
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}

function install() {
  if (installed) return;
  installed = true;
  process.on('exit', runCleanups);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      process.stderr.write(`[bench] ${sig}: cleaning up\n`);
      runCleanups();
      process.exit(130);
    });
  }
}
