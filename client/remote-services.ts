// The remote implementations of the service interfaces: the same calls as the
// in-process services, carried over JSON-RPC to a running daemon.
import type { BuildEvent, BuildRequest, BuildSummary, CompilationApi, CompileJob, CompileResult, CompilerIdentity, OrchestratorApi } from '../protocol/build.js';
import { RpcError } from '../protocol/jsonrpc.js';
import { ErrorCode, type DaemonName } from '../protocol/messages.js';
import type { ConfigSnapshot, GetConfigOptions, SetupApi } from '../protocol/setup.js';
import type { ChangesResult, DepsEntry, DiscoveryApi } from '../protocol/discovery.js';
import { CompileCancelledError } from '../daemons/compilation/compile-runner.js';
import { connectDaemon, type DaemonLink } from './daemon-link.js';
import type { CallOptions } from './rpc-client.js';

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

export class RemoteSetup implements SetupApi {
  constructor(private readonly ch: DaemonChannel) {}
  getConfig(opts: GetConfigOptions = {}): Promise<ConfigSnapshot> {
    return this.ch.call('get_config', { rescan: Boolean(opts.rescan) });
  }
}

export class RemoteCompilation implements CompilationApi {
  constructor(private readonly ch: DaemonChannel) {}

  async compile(job: CompileJob, signal?: AbortSignal): Promise<CompileResult> {
    try {
      return await this.ch.call<CompileResult>('compile', { job }, { signal });
    } catch (e) {
      // Cancellation crosses the wire as an error code; the engine knows it by its class.
      if (e instanceof RpcError && e.code === ErrorCode.Cancelled) throw new CompileCancelledError(job.object);
      throw e;
    }
  }

  identity(compiler: string, cwd: string): Promise<CompilerIdentity> {
    return this.ch.call('identity', { compiler, cwd });
  }

  async cancel(build_id: string): Promise<number> {
    return (await this.ch.call<{ cancelled: number }>('cancel', { build_id })).cancelled;
  }

  async concurrency(): Promise<number> {
    return (await this.ch.call<{ jobs: number }>('concurrency', {})).jobs;
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

export class RemoteDiscovery implements DiscoveryApi {
  constructor(private readonly ch: DaemonChannel) {}

  changesSince(epoch: number, journalId: string | null): Promise<ChangesResult> {
    return this.ch.call('changes_since', { epoch, journal_id: journalId ?? '' });
  }

  async hashMany(paths: string[]): Promise<(string | null)[]> {
    return (await this.ch.call<{ hashes: (string | null)[] }>('hash_many', { paths })).hashes;
  }

  async recordDeps(entries: DepsEntry[]): Promise<void> {
    await this.ch.call('record_deps', { entries });
  }
}
