// Stopping daemons: ask politely, then SIGTERM, then SIGKILL; then make sure
// nothing they spawned and no pid file is left.
import { projectPaths } from '../daemons/host/paths.js';
import { isOurDaemon, readRecord, reapOrphans, removeRecord, type DaemonRecord } from '../daemons/host/pidfiles.js';
import { isSameProcess } from '../fs/proc.js';
import { DAEMON_NAMES, type DaemonName } from '../config/daemon-names.js';
import { tryConnectDaemon } from '../daemons/host/daemon-link.js';
import { commonTable } from '../protocol/methods.js';
import { proxy } from '../rpc/methods.js';

const GRACE_MS = 3000;
const TERM_MS = 2000;

export type StopOutcome =
  | { name: DaemonName; state: 'stopped'; pid: number; how: 'shutdown' | 'SIGTERM' | 'SIGKILL' }
  | { name: DaemonName; state: 'not-running' }
  | { name: DaemonName; state: 'stale-removed'; pid: number };

async function waitGone(rec: DaemonRecord, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!isSameProcess(rec.pid, rec.proc_start)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return !isSameProcess(rec.pid, rec.proc_start);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export async function stopDaemon(root: string, name: DaemonName): Promise<StopOutcome> {
  const paths = projectPaths(root);
  const rec = readRecord(paths, name);
  if (!rec) {
    reapOrphans(paths, name);
    return { name, state: 'not-running' };
  }
  if (!isOurDaemon(rec)) {
    removeRecord(paths, name);
    reapOrphans(paths, name);
    return { name, state: 'stale-removed', pid: rec.pid };
  }
  let how: 'shutdown' | 'SIGTERM' | 'SIGKILL' = 'shutdown';
  const link = await tryConnectDaemon(root, name, 1500).catch(() => null);
  if (link) {
    await proxy(commonTable, link.conn).shutdown({}, { timeoutMs: 1500 }).catch(() => undefined);
    link.conn.close();
  }
  if (!(await waitGone(rec, link ? GRACE_MS : 0))) {
    how = 'SIGTERM';
    signal(rec.pid, 'SIGTERM');
    if (!(await waitGone(rec, TERM_MS))) {
      how = 'SIGKILL';
      signal(rec.pid, 'SIGKILL');
      await waitGone(rec, TERM_MS);
    }
  }
  removeRecord(paths, name);
  reapOrphans(paths, name);
  return { name, state: 'stopped', pid: rec.pid, how };
}

/** Stop every daemon of the project, dependents first. */
export async function stopAll(root: string, onOutcome?: (o: StopOutcome) => void): Promise<StopOutcome[]> {
  const out: StopOutcome[] = [];
  for (const name of [...DAEMON_NAMES].reverse()) {
    const o = await stopDaemon(root, name);
    out.push(o);
    onOutcome?.(o);
  }
  return out;
}
