// Running a build from the CLI: through the orchestrator daemon when it runs,
// in-process otherwise (or when asked: --no-daemon, CI=true).
import type { BuildEvent, BuildRequest, BuildSummary, OrchestratorApi } from '../protocol/build.js';
import { projectPaths } from '../daemons/common/paths.js';
import { isOurDaemon, readRecord } from '../daemons/common/pidfiles.js';
import { DaemonUnavailableError } from './errors.js';

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
      const { DaemonChannel, RemoteOrchestrator } = await import('./daemon-channel.js');
      const ch = new DaemonChannel(root, 'orchestrator');
      let connected = false;
      try {
        await ch.open();
        connected = true;
      } catch (e) {
        // Running but not taking us (it closed the connection, or did not answer):
        // the build still gets done, here.
        if (!(e instanceof DaemonUnavailableError)) throw e;
        ch.close();
        opts.onNote?.(`replibuild: the orchestrator daemon is not reachable (${e.detail}); building in-process`);
      }
      if (connected) {
        try {
          return await use(new RemoteOrchestrator(ch));
        } finally {
          ch.close();
        }
      }
    } else {
      opts.onNote?.('replibuild: daemons not running, building in-process (`replibuild start` makes later builds faster)');
    }
  }
  const { createLocalOrchestrator } = await import('./local-services.js');
  const orch = await createLocalOrchestrator(root, !local);
  try {
    return await use(orch.service);
  } finally {
    await orch.close();
  }
}

export function runBuildRequest(root: string, req: BuildRequest, opts: BuildClientOptions): Promise<BuildSummary> {
  return withOrchestrator(root, opts, (o) => o.build(req, opts.onEvent, opts.signal));
}

export function runClean(root: string, opts: BuildClientOptions): Promise<{ removed: string }> {
  return withOrchestrator(root, opts, (o) => o.clean());
}
