// A channel to one daemon of the project, and the remote orchestrator the CLI
// builds through. Small on purpose: it is on the no-op compile's path.
import type { BuildEvent, BuildRequest, BuildSummary, OrchestratorApi } from '../../protocol/build.js';
import type { DaemonName } from '../../config/daemon-names.js';
import { orchestratorTable } from '../../protocol/methods.js';
import type { CallOptions } from '../../rpc/client.js';
import { proxy, type Caller } from '../../rpc/methods.js';
import { closedByPeer, connectDaemon, type DaemonLink } from './daemon-link.js';
import { DaemonUnavailableError } from './connection-errors.js';
import type { DaemonRecord } from './daemon-records.js';

/** One daemon, connected on first use and again whenever the connection dropped.
 *  Calls go through a proxy of the daemon's method table (rpc/methods.ts). */
export class DaemonChannel implements Caller {
  private link: Promise<DaemonLink> | null = null;
  /** The connection once open, to tell answers of one daemon process from another's. */
  private opened: DaemonLink | null = null;

  constructor(
    readonly root: string,
    readonly name: DaemonName,
    /** `record`: the daemon's record as the caller read and checked it. `pipelined`: the
     *  first call goes out with the token (connectDaemon's `pipelined`): for a client that
     *  makes one call and leaves, as the CLI's build does. */
    private readonly opts: { record?: DaemonRecord; pipelined?: boolean } = {},
  ) {}

  private connection(pipelined = this.opts.pipelined): Promise<DaemonLink> {
    if (!this.link) {
      const p = connectDaemon(this.root, this.name, { record: this.opts.record, pipelined });
      // Checked once: a later reconnection reads the record again.
      this.opts.record = undefined;
      p.then(
        (l) => {
          if (this.link === p) this.opened = l;
        },
        () => {
          if (this.link === p) this.link = null;
        },
      );
      this.link = p;
    }
    return this.link;
  }

  async call(method: string, params: unknown, opts?: CallOptions<any>): Promise<unknown> {
    let link = await this.connection();
    if (link.conn.closed) {
      this.link = null;
      link = await this.connection();
    }
    if (!link.verified) return link.conn.call(method, params, opts);
    const answer = link.conn.call(method, params, opts);
    try {
      await link.verified;
    } catch (e) {
      answer.catch(() => undefined);
      this.link = null;
      // Closed before the token was answered (a daemon shedding unauthenticated
      // connections does that): the call was never taken, so it goes again, the
      // careful way, which retries such a close.
      if (!(e instanceof DaemonUnavailableError && closedByPeer(e.cause))) throw e;
      link = await this.connection(false);
      return link.conn.call(method, params, opts);
    }
    return answer;
  }

  /** Is the daemon there to take calls? Connects if it is. */
  async available(): Promise<boolean> {
    try {
      const link = await this.connection();
      return !link.conn.closed;
    } catch {
      return false;
    }
  }

  /** The open connection, while it is open: what a caller memoizes of the daemon's
   *  answers holds for as long as this is the same object (a restarted daemon is a new
   *  connection, and may answer otherwise). */
  current(): object | null {
    return this.opened && !this.opened.conn.closed ? this.opened.conn : null;
  }

  close(): void {
    void this.link?.then((l) => l.conn.close()).catch(() => undefined);
    this.link = null;
    this.opened = null;
  }
}

export class RemoteOrchestrator implements OrchestratorApi {
  private readonly rpc;
  constructor(ch: Caller) {
    this.rpc = proxy(orchestratorTable, ch);
  }

  build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal?: AbortSignal): Promise<BuildSummary> {
    return this.rpc.build(req, { onProgress: onEvent, signal });
  }

  clean(profile = ''): Promise<{ removed: string }> {
    return this.rpc.clean({ profile });
  }
}

