// `replibuild compile [TARGET...]`
import { BuildOutput } from '../build-output.js';
import { runBuildRequest } from '../build-client.js';
import { resolveProject } from '../project.js';
import { enterDirectory, type Announcer } from '../entering-directory.js';
import { stderr, stdout } from '../stdio.js';

/** `why`'s lines for the build whose trace is `id`. */
async function explainBuild(root: string, id: number | undefined): Promise<string[]> {
  if (id === undefined) return ['no trace was written for this build: nothing to explain'];
  const [{ loadTrace }, { explainTrace }] = await Promise.all([import('../../daemons/orchestrator/trace-store.js'), import('../explain.js')]);
  return explainTrace(loadTrace(root, String(id))).map((l) => `why: ${l}`);
}

export interface CompileArgs {
  dir?: string;
  targets: string[];
  jobs?: number;
  keepGoing?: boolean;
  verbose?: boolean;
  daemon?: boolean; // commander's --no-daemon sets daemon=false
  json?: boolean;
  /** Print why each TU and link was rebuilt (the build's trace, as `why` shows it). */
  explain?: boolean;
  /** '' or absent: the default profile. */
  profile?: string;
}

export async function run(args: CompileArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const json = Boolean(args.json);
  // The output is set up once the request is on its way: it costs a stat of each
  // descriptor, or Node's stream for a terminal (stdio.ts), and the daemon plans and
  // compiles meanwhile. setImmediate runs after this turn's poll, in which the
  // connection opens and the request leaves (rpc/client.ts); anything printed, an event or
  // a note, sets it up first, so the Entering line still comes before all else.
  let output: { out: BuildOutput; dir: Announcer } | null = null;
  const ready = () =>
    (output ??= {
      out: new BuildOutput({ json, verbose: Boolean(args.verbose), stdout: stdout(), stderr: stderr() }),
      dir: enterDirectory(root, stdout(), json),
    });
  const early = setImmediate(ready);
  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  try {
    const summary = await runBuildRequest(
      root,
      { targets: args.targets, jobs: args.jobs ?? 0, keep_going: Boolean(args.keepGoing), verbose: Boolean(args.verbose), progress: !json, profile: args.profile ?? '' },
      {
        noDaemon: args.daemon === false,
        onEvent: (e) => ready().out.event(e),
        onNote: (t) => {
          ready();
          if (!json) stderr().write(t + '\n');
        },
        signal: ac.signal,
      },
    );
    const { out } = ready();
    if (args.explain && !json) out.explain(await explainBuild(root, summary.trace));
    out.finish(summary);
    return summary.ok ? 0 : ac.signal.aborted ? 130 : 1;
  } finally {
    clearImmediate(early);
    // Set up now if a failure came first: the Entering and Leaving lines come in any case.
    ready().dir.leave();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
