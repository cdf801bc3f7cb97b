// Running a build from the CLI: through the orchestrator daemon when it runs,
// in-process otherwise (or when asked: --no-daemon, CI=true).
import type { BuildEvent, BuildRequest, BuildSummary, OrchestratorApi } from '../protocol/build.js';
import { projectPaths } from '../daemons/host/paths.js';
import { isOurDaemon, readRecord, type DaemonRecord } from '../daemons/host/daemon-records.js';
import { DaemonUnavailableError, isDaemonUnreachable } from '../daemons/host/connection-errors.js';

export interface BuildClientOptions {
  noDaemon: boolean;
  onEvent(e: BuildEvent): void;
  /** Said once when the daemons are not used though they could be. */
  onNote?(text: string): void;
  signal?: AbortSignal;
}

export function inCI(): boolean {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}

async function withOrchestrator<T>(root: string, opts: BuildClientOptions, use: (o: OrchestratorApi) => Promise<T>): Promise<T> {
  const local = opts.noDaemon || inCI();
  if (!local) {
    // Fast path: no TOML is parsed when the orchestrator runs.
    const rec = readRecord(projectPaths(root), 'orchestrator');
    if (rec && isOurDaemon(rec)) {
      const { DaemonChannel, RemoteOrchestrator } = await import('../daemons/host/daemon-channel.js');
      const ch = new DaemonChannel(root, 'orchestrator', { record: rec, pipelined: true });
      try {
        return await use(new RemoteOrchestrator(ch));
      } catch (e) {
        // Interrupted by the user: the build is over, not moved in-process.
        if (!isDaemonUnreachable(e) || opts.signal?.aborted) throw e;
        opts.onNote?.(`replibuild: ${await orchestratorLost(root, rec, e)}`);
      } finally {
        ch.close();
      }
    } else {
      opts.onNote?.('replibuild: daemons not running, building in-process (`replibuild start` makes later builds faster)');
    }
  }
  const { openOrchestrator } = await import('../daemons/host/open-orchestrator.js');
  const orch = await openOrchestrator({ root, useDaemons: !local, useDiscovery: false });
  try {
    return await use(orch.service);
  } finally {
    await orch.close();
  }
}

/** What happened to the orchestrator, in one line; and its links and compilers reaped
 *  if it died, so the in-process build neither races them nor shares the cores. */
async function orchestratorLost(root: string, rec: DaemonRecord, e: unknown): Promise<string> {
  if (!isOurDaemon(rec)) {
    // Loaded here, off the no-op's path: pidfiles.js brings the record writers along.
    const { reapIfDead } = await import('../daemons/host/pidfiles.js');
    reapIfDead(projectPaths(root), 'orchestrator');
    return `orchestrator daemon stopped during the build (pid ${rec.pid}); finishing in-process`;
  }
  // Running but not taking us (it closed the connection during auth, or did not answer).
  if (e instanceof DaemonUnavailableError) return `the orchestrator daemon is not reachable (${e.detail}); building in-process`;
  return `lost the connection to the orchestrator daemon (pid ${rec.pid}) during the build; finishing in-process`;
}

export function runBuildRequest(root: string, req: BuildRequest, opts: BuildClientOptions): Promise<BuildSummary> {
  return withOrchestrator(root, opts, (o) => o.build(req, opts.onEvent, opts.signal));
}

export function runClean(root: string, profile: string, opts: BuildClientOptions): Promise<{ removed: string }> {
  return withOrchestrator(root, opts, (o) => o.clean(profile));
}
