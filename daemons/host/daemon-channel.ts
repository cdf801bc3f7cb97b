// A channel to one daemon of the project, and the remote orchestrator the CLI
// builds through. Small on purpose: it is on the no-op compile's path.
import type { BuildEvent, BuildRequest, BuildSummary, OrchestratorApi } from '../../protocol/build.js';
import type { DaemonName } from '../../config/daemon-names.js';
import { orchestratorTable } from '../../protocol/methods.js';
import type { CallOptions } from '../../rpc/client.js';
import { proxy, type Caller } from '../../rpc/methods.js';
import { connectDaemon, type DaemonLink } from './daemon-link.js';

/** One daemon, connected on first use and again whenever the connection dropped.
 *  Calls go through a proxy of the daemon's method table (rpc/methods.ts). */
export class DaemonChannel implements Caller {
  private link: Promise<DaemonLink> | null = null;

  constructor(
    readonly root: string,
    readonly name: DaemonName,
  ) {}

  private connection(): Promise<DaemonLink> {
    if (!this.link) {
      const p = connectDaemon(this.root, this.name);
      p.catch(() => {
        if (this.link === p) this.link = null;
      });
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
    return link.conn.call(method, params, opts);
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

  close(): void {
    void this.link?.then((l) => l.conn.close()).catch(() => undefined);
    this.link = null;
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

