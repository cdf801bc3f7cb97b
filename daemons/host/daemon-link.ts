// Finding a project's daemon and talking to it: through its record in
// .replibuild/pids, verified by connecting, never by the file alone.
import { VERSION } from '../../protocol/messages.js';
import { type DaemonName } from '../../config/daemon-names.js';
import { type DaemonRecord, isOurDaemon, readRecord, readToken } from './daemon-records.js';
import { projectPaths, type ProjectPaths } from './paths.js';
import { DaemonUnavailableError, VersionMismatchError } from './connection-errors.js';
import { ConnectionClosedError, RpcConnection } from '../../rpc/client.js';

export interface DaemonLink {
  name: DaemonName;
  record: DaemonRecord;
  conn: RpcConnection;
  version: string;
  /** A pipelined link (connectDaemon's `pipelined`): settles once the daemon has answered
   *  the token, rejecting as connectDaemon would have. Absent: verified before it was handed out. */
  verified?: Promise<void>;
}

/** Waits before a second and third try when the daemon closed the connection before
 *  answering auth: a daemon under a flood of unauthenticated connections sheds the
 *  oldest, and a client can be among them once. */
const RECLOSE_RETRY_MS = [50, 250];

/** Did the daemon close (or reset) the connection, rather than not answer at all? */
export function closedByPeer(e: unknown): boolean {
  return e instanceof ConnectionClosedError && e.how === 'closed';
}

async function openWithRetries(port: number, token: string, timeoutMs: number): Promise<{ conn: RpcConnection; identity: Record<string, unknown> }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await RpcConnection.open(port, token, timeoutMs);
    } catch (e) {
      if (!closedByPeer(e) || attempt >= RECLOSE_RETRY_MS.length) throw e;
      await new Promise((r) => setTimeout(r, RECLOSE_RETRY_MS[attempt]));
    }
  }
}

/** Connect to a running daemon of the project; throws DaemonUnavailableError when there is none. */
export async function connectDaemon(
  root: string,
  name: DaemonName,
  opts: {
    timeoutMs?: number;
    allowVersionMismatch?: boolean;
    paths?: ProjectPaths;
    /** The record as the caller just read and checked it (isOurDaemon). */
    record?: DaemonRecord;
    /** Hand the link out before the daemon has answered the token, so that the first call
     *  goes out with it (DaemonLink.verified): only to a daemon whose record says it runs
     *  this version, as one of another version must not see a call it may read otherwise. */
    pipelined?: boolean;
  } = {},
): Promise<DaemonLink> {
  const paths = opts.paths ?? projectPaths(root);
  const record = opts.record ?? readRecord(paths, name);
  if (!record) throw new DaemonUnavailableError(name, 'no pid file');
  if (!opts.record && !isOurDaemon(record)) throw new DaemonUnavailableError(name, `pid ${record.pid} is not running a replibuild daemon (stale pid file)`);
  const token = readToken(paths);
  if (!token) throw new DaemonUnavailableError(name, `no token in ${paths.token}`);
  const timeoutMs = opts.timeoutMs ?? 5000;
  const unavailable = (e: unknown) => new DaemonUnavailableError(name, `port ${record.port}: ${(e as Error).message}`, e);
  const checkVersion = (identity: Record<string, unknown>, conn: RpcConnection): string => {
    const version = String(identity.version ?? '');
    if (!opts.allowVersionMismatch && version !== VERSION) {
      conn.close();
      throw new VersionMismatchError(name, version, VERSION);
    }
    return version;
  };
  if (opts.pipelined && record.version === VERSION) {
    let opened: Awaited<ReturnType<typeof RpcConnection.openPipelined>>;
    try {
      opened = await RpcConnection.openPipelined(record.port, token, timeoutMs);
    } catch (e) {
      throw unavailable(e);
    }
    const { conn } = opened;
    const verified = opened.identity.then(
      (identity) => void checkVersion(identity, conn),
      (e: unknown) => {
        throw unavailable(e);
      },
    );
    verified.catch(() => undefined); // the caller awaits it with its first call
    return { name, record, conn, version: record.version, verified };
  }
  let opened: Awaited<ReturnType<typeof openWithRetries>>;
  try {
    opened = await openWithRetries(record.port, token, timeoutMs);
  } catch (e) {
    throw unavailable(e);
  }
  return { name, record, conn: opened.conn, version: checkVersion(opened.identity, opened.conn) };
}

/** Connect if the daemon runs; null (not an error) when it does not. */
export async function tryConnectDaemon(root: string, name: DaemonName, timeoutMs = 2000): Promise<DaemonLink | null> {
  try {
    return await connectDaemon(root, name, { timeoutMs });
  } catch (e) {
    if (e instanceof VersionMismatchError) throw e;
    return null;
  }
}
