// `replibuild compile [TARGET...]`
import { BuildOutput } from '../build-output.js';
import { runBuildRequest } from '../build-client.js';
import { resolveProject } from '../project.js';
import { enterDirectory } from '../entering-directory.js';

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
  const out = new BuildOutput({ json: Boolean(args.json), verbose: Boolean(args.verbose), stdout: process.stdout, stderr: process.stderr });
  const ac = new AbortController();
  const onSigint = () => ac.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const dir = enterDirectory(root, process.stdout, Boolean(args.json));
  try {
    const summary = await runBuildRequest(
      root,
      { targets: args.targets, jobs: args.jobs ?? 0, keep_going: Boolean(args.keepGoing), verbose: Boolean(args.verbose), progress: !args.json, profile: args.profile ?? '' },
      {
        noDaemon: args.daemon === false,
        onEvent: (e) => out.event(e),
        onNote: (t) => {
          if (!args.json) process.stderr.write(t + '\n');
        },
        signal: ac.signal,
      },
    );
    if (args.explain && !args.json) out.explain(await explainBuild(root, summary.trace));
    out.finish(summary);
    return summary.ok ? 0 : ac.signal.aborted ? 130 : 1;
  } finally {
    dir.leave();
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
