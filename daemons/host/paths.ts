// Where a project's daemon files live: .replibuild/ (pids, daemon_logs, state, the token, daemon_config.toml).
import { join } from 'node:path';
import type { DaemonName } from '../../config/daemon-names.js';

export interface ProjectPaths {
  root: string;
  dotDir: string;
  pidsDir: string;
  logsDir: string;
  stateDir: string;
  token: string;
  daemonConfig: string;
  pidFile(name: DaemonName): string;
  recordFile(name: DaemonName): string;
  childrenFile(name: DaemonName): string;
  logFile(name: DaemonName): string;
}

export function projectPaths(root: string): ProjectPaths {
  const dotDir = join(root, '.replibuild');
  const pidsDir = join(dotDir, 'pids');
  const logsDir = join(dotDir, 'daemon_logs');
  return {
    root,
    dotDir,
    pidsDir,
    logsDir,
    stateDir: join(dotDir, 'state'),
    token: join(pidsDir, 'token'),
    daemonConfig: join(dotDir, 'daemon_config.toml'),
    pidFile: (n) => join(pidsDir, `${n}.pid`),
    recordFile: (n) => join(pidsDir, `${n}.json`),
    childrenFile: (n) => join(pidsDir, `${n}.children.json`),
    logFile: (n) => join(logsDir, `${n}.log`),
  };
}
