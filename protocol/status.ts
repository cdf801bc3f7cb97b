// What `status` answers, and the report `replibuild status --json` prints from it:
// a daemon's own figures, and each daemon's row as the CLI sees it.
import type { DaemonName } from '../config/daemon-names.js';
import type { PingResult } from './messages.js';

/** A daemon's memory as it sees it (process.memoryUsage()): V8's heap and the RSS, which
 *  includes the compilation daemon's spawn helper while one runs (its pid beside it). */
export interface DaemonMemory {
  heap_used_bytes: number;
  heap_total_bytes: number;
  rss_bytes: number;
  spawn_helper_pid?: number;
}

/** What a daemon says about itself; `details` is the daemon's own figures. */
export interface DaemonSelfStatus extends PingResult {
  requests_served: number;
  connections: number;
  memory: DaemonMemory;
  details: Record<string, unknown>;
}

export type DaemonState = 'running' | 'stopped' | 'stale' | 'disabled' | 'unresponsive';

/** One row of `replibuild status --json`. */
export interface DaemonStatusRow {
  name: DaemonName;
  state: DaemonState;
  pid: number | null;
  port: number | null;
  uptime_s: number | null;
  rss_bytes: number | null;
  /** V8's heap, used and reserved, as the daemon reports it (null when it did not answer). */
  heap_used_bytes: number | null;
  heap_total_bytes: number | null;
  /** The compilation daemon's spawn helper while it runs (its RSS is in rss_bytes). */
  spawn_helper_pid?: number;
  cpu_percent: number | null;
  version: string | null;
  requests_served: number | null;
  details: Record<string, unknown>;
  message?: string;
}

export interface StatusReport {
  project: string;
  daemons: DaemonStatusRow[];
  machine: {
    cpus: number;
    cpu_percent: number;
    load_avg: number[];
    mem_total_bytes: number;
    mem_available_bytes: number;
  };
  all_running: boolean;
}

