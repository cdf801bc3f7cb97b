// `replibuild watch`: rebuild on save. Discovery long-polls for journal
// changes; a burst of saves is debounced into one build.
import { commonTable, discoveryTable } from '../../protocol/methods.js';
import { proxy } from '../../rpc/methods.js';
import { BuildOutput } from '../build-output.js';
import { runBuildRequest } from '../build-client.js';
import { UserError } from '../../daemons/common/user-error.js';
import { resolveProject } from '../project.js';
import { enterDirectory } from '../entering-directory.js';
import { DaemonChannel } from '../../daemons/host/daemon-channel.js';

export interface WatchArgs {
  dir?: string;
  targets: string[];
  jobs?: number;
  keepGoing?: boolean;
  verbose?: boolean;
  debounce?: number;
  profile?: string;
}

const stamp = () => new Date().toTimeString().slice(0, 8);

export async function run(args: WatchArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const channel = new DaemonChannel(root, 'discovery');
  const discovery = { ...proxy(commonTable, channel), ...proxy(discoveryTable, channel) };
  if (!(await channel.available())) {
    throw new UserError('`replibuild watch` needs the discovery and orchestrator daemons: run `replibuild start` first');
  }
  const debounceMs = args.debounce ?? 100;
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);

  const build = async () => {
    const out = new BuildOutput({ json: false, verbose: Boolean(args.verbose), stdout: process.stdout, stderr: process.stderr });
    const summary = await runBuildRequest(
      root,
      { targets: args.targets, jobs: args.jobs ?? 0, keep_going: Boolean(args.keepGoing), verbose: Boolean(args.verbose), profile: args.profile ?? '' },
      { noDaemon: false, onEvent: (e) => out.event(e), signal: stop.signal },
    );
    if (!stop.signal.aborted) out.finish(summary);
  };

  const dir = enterDirectory(root, process.stdout);
  try {
    let epoch = ((await discovery.status()).details.epoch as number) ?? 0;
    console.log(`[${stamp()}] watching ${root} (Ctrl-C to stop; the daemons keep running)`);
    await build();
    while (!stop.signal.aborted) {
      const next = await discovery.wait_for_change({ epoch, timeout_ms: 30_000 }, { signal: stop.signal });
      if (next.epoch <= epoch) continue;
      // Debounce: wait until the saves stop for debounceMs.
      let latest = next.epoch;
      for (;;) {
        const more = await discovery.wait_for_change({ epoch: latest, timeout_ms: debounceMs }, { signal: stop.signal });
        if (more.epoch <= latest) break;
        latest = more.epoch;
      }
      epoch = latest;
      console.log(`[${stamp()}] change seen, building`);
      await build();
    }
  } catch (e) {
    if (!stop.signal.aborted) throw e;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    channel.close();
    dir.leave();
  }
  console.log(`[${stamp()}] stopped watching`);
  return 0;
}
