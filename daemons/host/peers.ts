// The orchestrator's view of the other daemons. An enabled daemon is used over
// RPC; a disabled one, or one that cannot be reached, has its work done
// in-process here, so a build still works (and says so in the log). The in-process
// services are imported when first needed: discovery and compilation use SetupPeer
// too, and loading the compile queue and the setup service for a fallback that
// rarely happens cost each daemon its RSS.
import type { CompilationApi, CompileBatchEvent, CompileBatchOptions, CompileJob, CompileResult, CompilerIdentity, IdentityRequest } from '../../protocol/build.js';
import type { DaemonConfig } from '../../config/types.js';
import type { ConfigSnapshot, GetConfigOptions, SetupApi } from '../../protocol/setup.js';
import type { ChangesResult, DepsEntry } from '../../protocol/discovery.js';
import { DaemonChannel } from './daemon-channel.js';
import { RemoteCompilation, RemoteDiscovery, RemoteSetup } from './remote-services.js';
import { isDaemonUnreachable } from './connection-errors.js';
import type { Logger } from '../common/logger.js';
import { projectPaths } from './paths.js';
import { reapIfDead } from './pidfiles.js';
import type { ChildTracker } from './child-tracker.js';
import type { CompilationService } from '../compilation/service.js';
import type { OpenCompilation } from './open-compilation.js';
import type { CompileCache } from '../../cache/cached-compile.js';
import type { SetupService } from '../setup/service.js';
import { resolveCompiler } from '../../toolchain/compiler-identity.js';

/** Try the daemon; when it is not there, the in-process service. */
async function either<T>(
  remote: (() => Promise<T>) | null,
  local: () => Promise<T>,
  onFallback: (e: unknown) => void,
): Promise<T> {
  if (remote) {
    try {
      return await remote();
    } catch (e) {
      if (!isDaemonUnreachable(e)) throw e;
      onFallback(e);
    }
  }
  return local();
}

export class SetupPeer implements SetupApi {
  private readonly channel: DaemonChannel | null;
  private readonly remote: RemoteSetup | null;
  private localSvc: Promise<SetupService> | null = null;

  constructor(
    private readonly root: string,
    enabled: boolean,
    private readonly log: Logger,
  ) {
    this.channel = enabled ? new DaemonChannel(root, 'setup') : null;
    this.remote = this.channel && new RemoteSetup(this.channel);
  }

  /** Drop the connection to the daemon (an in-process build ends with it). */
  close(): void {
    this.channel?.close();
  }

  getConfig(opts?: GetConfigOptions): Promise<ConfigSnapshot> {
    return either(
      this.remote && (() => this.remote!.getConfig(opts)),
      async () => (await (this.localSvc ??= import('../setup/service.js').then((m) => new m.SetupService(this.root)))).getConfig(opts),
      (e) => this.log.warn(`setup daemon unreachable (${(e as Error).message}); reading the config in-process`),
    );
  }
}

export interface CompilationPeerOptions {
  root: string;
  /** Use the compilation daemon when it runs; false: always compile in-process. */
  enabled: boolean;
  config: DaemonConfig;
  log: Logger;
  children?: ChildTracker;
  /** The process's compile cache (openOrchestrator opened it), for compiles done in-process. */
  cache: CompileCache | null;
}

export class CompilationPeer implements CompilationApi {
  private readonly channel: DaemonChannel | null;
  private readonly remote: RemoteCompilation | null;
  private opened: Promise<OpenCompilation> | null = null;
  private localSvc: Promise<CompilationService> | null = null;

  constructor(private readonly opts: CompilationPeerOptions) {
    this.channel = opts.enabled ? new DaemonChannel(opts.root, 'compilation') : null;
    this.remote = this.channel && new RemoteCompilation(this.channel);
  }

  private local(): Promise<CompilationService> {
    if (!this.localSvc) {
      const { root, config, log, children, cache } = this.opts;
      if (this.remote) {
        // The daemon we fell back from may have died with compilers running: end them
        // before ours start, or the cores run twice the jobs (and two compilers one object).
        const reaped = reapIfDead(projectPaths(root), 'compilation');
        if (reaped) log.warn(`reaped ${reaped} compiler(s) the compilation daemon left running`);
      }
      this.opened = import('./open-compilation.js').then((m) => m.openCompilation({ root, config, log, children, cache }));
      this.localSvc = this.opened.then((o) => o.service);
    }
    return this.localSvc;
  }

  private fallback = (e: unknown) => this.opts.log.warn(`compilation daemon unreachable (${(e as Error).message}); compiling in-process`);

  compile(job: CompileJob, signal?: AbortSignal): Promise<CompileResult> {
    return either(this.remote && (() => this.remote!.compile(job, signal)), async () => (await this.local()).compile(job, signal), this.fallback);
  }

  /** Through the daemon; when it is not there, or goes away mid-batch, the jobs it has
   *  not answered run in-process. */
  compileBatch(jobs: CompileJob[], opts: CompileBatchOptions, on: (e: CompileBatchEvent) => void): Promise<void> {
    const answered = new Set<number>();
    return either(
      this.remote &&
        (() =>
          this.remote!.compileBatch(jobs, opts, (e) => {
            if (!('started' in e)) answered.add(e.index); // a result, an error or skipped
            on(e);
          })),
      async () => {
        const left = jobs.map((_, i) => i).filter((i) => !answered.has(i));
        await (await this.local()).compileBatch(left.map((i) => jobs[i]!), opts, (e) => on({ ...e, index: left[e.index]! }));
      },
      this.fallback,
    );
  }

  /** The daemon's answers by compiler and cwd, with the connection they came through and
   *  the binary's stat as this process saw it before asking. */
  private readonly identities = new Map<string, { via: object; stamp: string; identity: CompilerIdentity }>();

  /** The daemon's identity of the compiler, kept while the same daemon process answers
   *  and the binary it named is where this process finds the command, under the same
   *  stat (as the daemon checks it, toolchain/compiler-identity.ts): a no-op build then
   *  costs a stat, not a round trip to the daemon. */
  async identity(compiler: string, cwd: string, opts?: IdentityRequest): Promise<CompilerIdentity> {
    const key = `${compiler}\0${cwd}`;
    const now = this.remote ? resolveCompiler(compiler, { cwd }) : null;
    const held = this.identities.get(key);
    if (held && now && held.via === this.channel!.current() && held.identity.path === now.path && held.stamp === now.stamp) return held.identity;
    this.identities.delete(key);
    const identity = await either(
      this.remote && (() => this.remote!.identity(compiler, cwd, opts)),
      async () => (await this.local()).identity(compiler, cwd, opts),
      this.fallback,
    );
    const via = this.channel?.current();
    if (now && via && identity.path === now.path) this.identities.set(key, { via, stamp: now.stamp, identity });
    return identity;
  }

  async cancel(build_id: string, queuedOnly = false): Promise<number> {
    let n = this.localSvc ? await (await this.localSvc).cancel(build_id, queuedOnly) : 0;
    if (this.remote) n += await this.remote.cancel(build_id, queuedOnly).catch(() => 0);
    return n;
  }

  concurrency(): Promise<number> {
    return either(this.remote && (() => this.remote!.concurrency()), async () => (await this.local()).concurrency(), this.fallback);
  }

  async close(): Promise<void> {
    this.channel?.close();
    await (await this.opened)?.close();
  }
}

/** Discovery over RPC. It has no in-process stand-in: without it, builds plan by
 *  stat and hash, so every call here may answer null ("no journal, look yourself"). */
export class DiscoveryPeer {
  private readonly channel: DaemonChannel | null;
  private readonly remote: RemoteDiscovery | null;
  private warned = false;

  constructor(
    root: string,
    enabled: boolean,
    private readonly log: Logger,
  ) {
    this.channel = enabled ? new DaemonChannel(root, 'discovery') : null;
    this.remote = this.channel && new RemoteDiscovery(this.channel);
  }

  close(): void {
    this.channel?.close();
  }

  /** `signal`: the caller's; a call it aborted is no sign of trouble. */
  private async attempt<T>(f: (r: RemoteDiscovery) => Promise<T>, signal?: AbortSignal): Promise<T | null> {
    if (!this.remote) return null;
    try {
      const v = await f(this.remote);
      this.warned = false;
      return v;
    } catch (e) {
      if (signal?.aborted) return null;
      if (!this.warned) this.log.warn(`discovery unavailable (${(e as Error).message}); planning by stat and hash`);
      this.warned = true;
      return null;
    }
  }

  changesSince(epoch: number, journalId: string | null, configGeneration?: number): Promise<ChangesResult | null> {
    return this.attempt((r) => r.changesSince(epoch, journalId, configGeneration));
  }

  async recordDeps(entries: DepsEntry[]): Promise<void> {
    await this.attempt((r) => r.recordDeps(entries));
  }

  waitForChange(epoch: number, timeoutMs: number, signal?: AbortSignal): Promise<number | null> {
    return this.attempt((r) => r.waitForChange(epoch, timeoutMs, signal), signal);
  }
}
