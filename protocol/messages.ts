// What every daemon shares on the wire: the version a client
// checks on connecting, and the results of the methods every daemon answers
// (ping, shutdown; status is in status.ts). Each daemon's own wire types are in build.ts,
// discovery.ts and setup.ts; its methods are in methods.ts. Nothing here does
// I/O, so the client can import it without cost.

import type { DaemonName } from '../config/daemon-names.js';

export const VERSION = '0.1.0';

/** What `auth` answers, so a client knows whom it reached. */
export interface AuthResult {
  daemon: DaemonName;
  version: string;
  pid: number;
}

export interface PingResult {
  name: DaemonName;
  version: string;
  pid: number;
  uptime_s: number;
  project: string;
}

export interface ShutdownResult {
  stopping: true;
}
