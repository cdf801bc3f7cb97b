// Reading a project's daemon records and token: what a client needs to reach a
// daemon, and nothing that writes (pidfiles.ts does that). Kept apart because the
// no-op `compile` loads it, and every module it loads is start-up time.
import { readFileSync } from 'node:fs';
import type { DaemonName } from '../../config/daemon-names.js';
import type { ProjectPaths } from './paths.js';
import { isSameProcess, procCmdline } from '../../fs/proc.js';

/** Contents of .replibuild/pids/<name>.json, written once the daemon listens. */
export interface DaemonRecord {
  name: DaemonName;
  pid: number;
  port: number;
  version: string;
  /** ISO time the daemon came up. */
  started: string;
  /** Kernel start time of the pid (clock ticks since boot, /proc/<pid>/stat field 22):
   *  together with pid it identifies the process, so a reused pid is not mistaken for ours. */
  proc_start: number | null;
}

/** argv marker of a daemon process; lets us tell our daemon from a process that reused its pid. */
export const DAEMON_ARG = '--replibuild-daemon';

/** argv flag naming the file descriptor of the launcher's ready pipe (daemon-process.ts,
 *  LauncherMessage): one JSON line, then the daemon closes it. */
export const READY_FD_ARG = '--ready-fd';

export function readToken(paths: ProjectPaths): string | null {
  try {
    const t = readFileSync(paths.token, 'utf8').trim();
    return t.length >= 32 ? t : null;
  } catch {
    return null;
  }
}

export function readRecord(paths: ProjectPaths, name: DaemonName): DaemonRecord | null {
  try {
    const rec = JSON.parse(readFileSync(paths.recordFile(name), 'utf8')) as DaemonRecord;
    if (rec && typeof rec.pid === 'number' && typeof rec.port === 'number') return rec;
  } catch {
    /* absent or torn: fall through to the bare pid file */
  }
  try {
    const pid = Number(readFileSync(paths.pidFile(name), 'utf8').trim());
    if (Number.isInteger(pid) && pid > 0) {
      return { name, pid, port: 0, version: '', started: '', proc_start: null };
    }
  } catch {
    /* no pid file either */
  }
  return null;
}

/** Is the process a record names still that daemon? */
export function isOurDaemon(rec: DaemonRecord): boolean {
  if (!isSameProcess(rec.pid, rec.proc_start)) return false;
  const argv = procCmdline(rec.pid);
  const i = argv.indexOf(DAEMON_ARG);
  return i >= 0 && argv[i + 1] === rec.name;
}
