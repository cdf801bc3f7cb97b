// PID files, daemon records and the auth token. A record is never trusted on
// its own: it names a pid and that pid's kernel start time, and a process
// counts as ours only if both match and its command line is a replibuild daemon.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import type { DaemonName } from '../../config/daemon-names.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import type { ProjectPaths } from './paths.js';
import { PRIVATE_DIR_MODE, ensurePrivateDir } from '../../fs/private-files.js';
import { isOurDaemon, readRecord, readToken, type DaemonRecord } from './daemon-records.js';
import { isSameProcess } from '../../fs/proc.js';

// Reading records is on the no-op build's path and lives in daemon-records.ts, without
// this module's writers (and the crypto and fs/promises they load).
export { DAEMON_ARG, READY_FD_ARG, isOurDaemon, readRecord, readToken, type DaemonRecord } from './daemon-records.js';

/** Contents of .replibuild/pids/<name>.children.json: processes the daemon spawned and still owns. */
export interface ChildRecord {
  pid: number;
  proc_start: number | null;
  command: string;
}


/** The project's daemon dirs, private to the owner; tightens ones an older version made. */
export function ensureDirs(paths: ProjectPaths): void {
  mkdirSync(paths.pidsDir, { recursive: true, mode: PRIVATE_DIR_MODE });
  ensurePrivateDir(paths.logsDir);
  ensurePrivateDir(paths.stateDir);
}

/** The project's token, made (mode 0600) if there is none yet. */
export function ensureToken(paths: ProjectPaths): string {
  const existing = readToken(paths);
  if (existing) {
    // Someone may have loosened it; the token guards a service that runs compilers.
    if ((statSync(paths.token).mode & 0o077) !== 0) chmodSync(paths.token, 0o600);
    return existing;
  }
  const token = randomBytes(32).toString('hex');
  writeFileAtomic(paths.token, token + '\n', 0o600);
  return token;
}

export function writeRecord(paths: ProjectPaths, rec: DaemonRecord): void {
  writeFileAtomic(paths.recordFile(rec.name), JSON.stringify(rec, null, 2) + '\n');
  writeFileAtomic(paths.pidFile(rec.name), `${rec.pid}\n`);
}

export function removeRecord(paths: ProjectPaths, name: DaemonName, onlyPid?: number): void {
  if (onlyPid !== undefined) {
    // A daemon cleaning up after itself must not remove its successor's files.
    const cur = readRecord(paths, name);
    if (cur && cur.pid !== onlyPid) return;
  }
  rmSync(paths.recordFile(name), { force: true });
  rmSync(paths.pidFile(name), { force: true });
}

export function readChildren(paths: ProjectPaths, name: DaemonName): ChildRecord[] {
  try {
    const list = JSON.parse(readFileSync(paths.childrenFile(name), 'utf8'));
    return Array.isArray(list) ? (list as ChildRecord[]) : [];
  } catch {
    return [];
  }
}

export function writeChildren(paths: ProjectPaths, name: DaemonName, children: ChildRecord[]): void {
  if (children.length === 0) rmSync(paths.childrenFile(name), { force: true });
  else writeFileAtomic(paths.childrenFile(name), JSON.stringify(children) + '\n');
}

/** Kill children a dead daemon left behind (its compilers), each only if it is still the same process. */
export function reapOrphans(paths: ProjectPaths, name: DaemonName): number {
  let reaped = 0;
  for (const c of readChildren(paths, name)) {
    if (!isSameProcess(c.pid, c.proc_start)) continue;
    try {
      // Children run in their own process group: take the whole group (cc1plus, as, ...).
      process.kill(-c.pid, 'SIGKILL');
      reaped++;
    } catch {
      try {
        process.kill(c.pid, 'SIGKILL');
        reaped++;
      } catch {
        /* already gone */
      }
    }
  }
  rmSync(paths.childrenFile(name), { force: true });
  return reaped;
}

/** Before doing a daemon's work in-process: kill what it left running if it died
 *  (its compilers would otherwise compete with ours for the cores). A daemon that
 *  still runs keeps its children: they are its work, not ours to end. */
export function reapIfDead(paths: ProjectPaths, name: DaemonName): number {
  const rec = readRecord(paths, name);
  if (rec && isOurDaemon(rec)) return 0;
  return reapOrphans(paths, name);
}
