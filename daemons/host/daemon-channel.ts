// A channel to one daemon of the project, and the remote orchestrator the CLI
// builds through. Small on purpose: it is on the no-op compile's path.
import type { BuildEvent, BuildRequest, BuildSummary, OrchestratorApi } from '../../protocol/build.js';
import type { DaemonName } from '../../protocol/messages.js';
import { connectDaemon, type DaemonLink } from './daemon-link.js';
import type { CallOptions } from '../../rpc/client.js';

/** One daemon, connected on first use and again whenever the connection dropped. */
export class DaemonChannel {
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

  async call<R>(method: string, params: unknown, opts?: CallOptions): Promise<R> {
    let link = await this.connection();
    if (link.conn.closed) {
      this.link = null;
      link = await this.connection();
    }
    return link.conn.call<R>(method, params, opts);
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
  constructor(private readonly ch: DaemonChannel) {}

  build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal?: AbortSignal): Promise<BuildSummary> {
    return this.ch.call('build', req, { onProgress: (e) => onEvent(e as BuildEvent), signal });
  }

  clean(): Promise<{ removed: string }> {
    return this.ch.call('clean', {});
  }
}

