// The remote implementations of the services the orchestrator uses: the same
// calls as the in-process services, carried over JSON-RPC to a running daemon.
import type { CompilationApi, CompileJob, CompileResult, CompilerIdentity, IdentityRequest } from '../../protocol/build.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ConfigSnapshot, GetConfigOptions, SetupApi } from '../../protocol/setup.js';
import type { ChangesResult, DepsEntry, DiscoveryApi } from '../../protocol/discovery.js';
import { CompileCancelledError } from '../../toolchain/compile-runner.js';
import { compilerErrorFromRpc } from '../../toolchain/compiler-errors.js';
import type { DaemonChannel } from './daemon-channel.js';

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

  async identity(compiler: string, cwd: string, opts: IdentityRequest = {}): Promise<CompilerIdentity> {
    try {
      const timeout_ms = opts.timeoutMs === undefined ? undefined : Math.ceil(opts.timeoutMs);
      return await this.ch.call<CompilerIdentity>('identity', { compiler, cwd, timeout_ms }, { signal: opts.signal });
    } catch (e) {
      throw compilerErrorFromRpc(e) ?? e;
    }
  }

  async cancel(build_id: string): Promise<number> {
    return (await this.ch.call<{ cancelled: number }>('cancel', { build_id })).cancelled;
  }

  async concurrency(): Promise<number> {
    return (await this.ch.call<{ jobs: number }>('concurrency', {})).jobs;
  }
}

export class RemoteDiscovery implements DiscoveryApi {
  constructor(private readonly ch: DaemonChannel) {}

  changesSince(epoch: number, journalId: string | null, configGeneration?: number): Promise<ChangesResult> {
    const gen = configGeneration !== undefined ? { config_generation: configGeneration } : {};
    return this.ch.call('changes_since', { epoch, journal_id: journalId ?? '', ...gen });
  }

  async hashMany(paths: string[]): Promise<(string | null)[]> {
    return (await this.ch.call<{ hashes: (string | null)[] }>('hash_many', { paths })).hashes;
  }

  async recordDeps(entries: DepsEntry[]): Promise<void> {
    await this.ch.call('record_deps', { entries });
  }
}
