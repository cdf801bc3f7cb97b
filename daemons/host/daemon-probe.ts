// Is a daemon that did not answer once really hung? `start` and `ensure` replace a
// hung daemon by killing it, so the verdict must not come from one failed connect:
// any local user can make a connect fail for a moment (a flood of connections).
import type { DaemonName } from '../../config/daemon-names.js';
import { type DaemonRecord, isOurDaemon, readRecord } from './pidfiles.js';
import { commonTable } from '../../protocol/methods.js';
import { proxy } from '../../rpc/methods.js';
import { projectPaths } from './paths.js';
import { closedByPeer, connectDaemon } from './daemon-link.js';
import { DaemonUnavailableError, VersionMismatchError } from './connection-errors.js';

export type ProbeVerdict =
  /** It answered a ping over a fresh connection. */
  | { kind: 'answers' }
  /** Its process is alive and closes connections: busy, not hung; leave it running. */
  | { kind: 'busy'; detail: string }
  /** Never answered over several fresh connections, and the record still names it. */
  | { kind: 'hung'; detail: string }
  /** The record no longer names this process (it exited, or another took its place). */
  | { kind: 'gone' };

const PROBE_WAITS_MS = [0, 300, 1000];
const PROBE_TIMEOUT_MS = 3000;

function sameRecord(a: DaemonRecord, b: DaemonRecord | null): boolean {
  return b !== null && a.pid === b.pid && a.port === b.port && a.proc_start === b.proc_start;
}

/** Ping the daemon `rec` names over fresh connections, a few times, before calling it hung. */
export async function probeDaemon(root: string, name: DaemonName, rec: DaemonRecord): Promise<ProbeVerdict> {
  const paths = projectPaths(root);
  let lastDetail = '';
  let closedEveryTime = true;
  for (const wait of PROBE_WAITS_MS) {
    if (wait) await new Promise((r) => setTimeout(r, wait));
    if (!sameRecord(rec, readRecord(paths, name)) || !isOurDaemon(rec)) return { kind: 'gone' };
    try {
      const link = await connectDaemon(root, name, { timeoutMs: PROBE_TIMEOUT_MS, paths });
      try {
        await proxy(commonTable, link.conn).ping({}, { timeoutMs: PROBE_TIMEOUT_MS });
        return { kind: 'answers' };
      } finally {
        link.conn.close();
      }
    } catch (e) {
      if (e instanceof VersionMismatchError) throw e;
      lastDetail = e instanceof DaemonUnavailableError ? e.detail : (e as Error).message;
      if (!(e instanceof DaemonUnavailableError && closedByPeer(e.cause))) closedEveryTime = false;
    }
  }
  if (!sameRecord(rec, readRecord(paths, name)) || !isOurDaemon(rec)) return { kind: 'gone' };
  // A daemon whose event loop is stuck cannot close a connection; one that closed every
  // attempt is running and shedding load.
  return closedEveryTime ? { kind: 'busy', detail: lastDetail } : { kind: 'hung', detail: lastDetail };
}
