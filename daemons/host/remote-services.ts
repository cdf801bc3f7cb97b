// The remote implementations of the services the orchestrator uses: the same
// calls as the in-process services, carried over JSON-RPC to a running daemon.
// A cancelled compile comes back as an RpcError named AbortError (rpc/jsonrpc.ts),
// which the build engine tells from a failure as it does an in-process one.
import type { CompilationApi, CompileBatchEvent, CompileBatchOptions, CompileJob, CompileResult, CompilerIdentity, IdentityRequest } from '../../protocol/build.js';
import type { ChangesResult, DepsEntry, DiscoveryApi } from '../../protocol/discovery.js';
import { compilationTable, discoveryTable, setupTable } from '../../protocol/methods.js';
import { HeaderListDecoder } from '../../protocol/header-lists.js';
import type { ConfigSnapshot, GetConfigOptions, SetupApi } from '../../protocol/setup.js';
import { proxy, type Caller } from '../../rpc/methods.js';
import { compilerErrorFromRpc } from '../../toolchain/compiler-errors.js';

export class RemoteSetup implements SetupApi {
  private readonly rpc;
  constructor(ch: Caller) {
    this.rpc = proxy(setupTable, ch);
  }

  /** The last snapshot received and its tag: sent back as `known`, so an unchanged
   *  config costs a short answer, not the whole config parsed again. */
  private last: { tag: string; snapshot: ConfigSnapshot } | null = null;

  async getConfig(opts: GetConfigOptions = {}): Promise<ConfigSnapshot> {
    const held = this.last;
    const a = await this.rpc.get_config({ rescan: Boolean(opts.rescan), ...(held ? { known: held.tag } : {}) });
    if ('snapshot' in a) {
      this.last = { tag: a.tag, snapshot: a.snapshot };
      return a.snapshot;
    }
    // `unchanged` answers only the tag we sent; anything else is a daemon we do not understand.
    if (!held || a.tag !== held.tag) throw new Error(`setup answered "unchanged" for a config this process does not hold (${a.tag})`);
    return held.snapshot;
  }
}

export class RemoteCompilation implements CompilationApi {
  private readonly rpc;
  constructor(ch: Caller) {
    this.rpc = proxy(compilationTable, ch);
  }

  compile(job: CompileJob, signal?: AbortSignal): Promise<CompileResult> {
    return this.rpc.compile({ job }, { signal });
  }

  async compileBatch(jobs: CompileJob[], opts: CompileBatchOptions, on: (e: CompileBatchEvent) => void): Promise<void> {
    const stop = opts.stopAfterFailure ? { stop_after_failure: true } : {};
    const headers = new HeaderListDecoder();
    await this.rpc.compile_batch({ jobs, parallel: opts.parallel, ...stop }, { onProgress: (e) => on(headers.event(e)), signal: opts.signal });
  }

  async identity(compiler: string, cwd: string, opts: IdentityRequest = {}): Promise<CompilerIdentity> {
    try {
      const timeout_ms = opts.timeoutMs === undefined ? undefined : Math.ceil(opts.timeoutMs);
      return await this.rpc.identity({ compiler, cwd, timeout_ms }, { signal: opts.signal });
    } catch (e) {
      throw compilerErrorFromRpc(e) ?? e;
    }
  }

  async cancel(build_id: string, queuedOnly = false): Promise<number> {
    return (await this.rpc.cancel({ build_id, ...(queuedOnly ? { queued_only: true } : {}) })).cancelled;
  }

  async concurrency(): Promise<number> {
    return (await this.rpc.concurrency()).jobs;
  }
}

export class RemoteDiscovery implements DiscoveryApi {
  private readonly rpc;
  constructor(ch: Caller) {
    this.rpc = proxy(discoveryTable, ch);
  }

  changesSince(epoch: number, journalId: string | null, configGeneration?: number): Promise<ChangesResult> {
    const gen = configGeneration !== undefined ? { config_generation: configGeneration } : {};
    return this.rpc.changes_since({ epoch, journal_id: journalId ?? '', ...gen });
  }

  /** The long poll of `wait_for_change`: the epoch once it has moved past `epoch`, or at `timeoutMs`. */
  async waitForChange(epoch: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
    return (await this.rpc.wait_for_change({ epoch, timeout_ms: timeoutMs }, signal ? { signal } : undefined)).epoch;
  }

  async hashMany(paths: string[]): Promise<(string | null)[]> {
    return (await this.rpc.hash_many({ paths })).hashes;
  }

  async recordDeps(entries: DepsEntry[]): Promise<void> {
    await this.rpc.record_deps({ entries });
  }
}
