// `replibuild run TARGET [-- ARGS]`: build if needed, run it with the terminal
// passed through, then report its exit code and wall time.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { loadProjectConfig } from '../../config/project-config.js';
import { configForProfile, UnknownProfileError } from '../../config/profiles.js';
import { ConfigError } from '../../config/errors.js';
import { BuildOutput } from '../build-output.js';
import { runBuildRequest } from '../build-client.js';
import { UserError } from '../../daemons/common/user-error.js';
import { resolveProject } from '../project.js';
import { enterDirectory } from '../entering-directory.js';

export interface RunArgs {
  dir?: string;
  target: string;
  args: string[];
  daemon?: boolean;
  verbose?: boolean;
  profile?: string;
}

export async function run(a: RunArgs): Promise<number> {
  const root = resolveProject(a.dir);
  let config;
  try {
    config = configForProfile(loadProjectConfig(root), a.profile);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UnknownProfileError) throw new UserError(e.message, 2);
    throw e;
  }
  const target = config.targets.find((t) => t.name === a.target);
  if (!target) throw new UserError(`no target "${a.target}" (targets: ${config.targets.map((t) => t.name).join(', ')})`, 2);
  if (target.kind !== 'executable') throw new UserError(`target "${a.target}" is a ${target.kind} library, not an executable`, 2);

  // Build output goes to stderr: the program's stdout is the user's.
  const out = new BuildOutput({ json: false, verbose: Boolean(a.verbose), stdout: process.stderr, stderr: process.stderr });
  const dir = enterDirectory(root, process.stderr);
  let summary;
  try {
    summary = await runBuildRequest(root, { targets: [a.target], jobs: 0, keep_going: false, verbose: Boolean(a.verbose), profile: config.profile }, {
      noDaemon: a.daemon === false,
      onEvent: (e) => out.event(e),
    });
    out.finish(summary);
  } finally {
    dir.leave();
  }
  if (!summary.ok) return 1;

  const t0 = performance.now();
  const child = spawn(join(root, target.output), a.args, { stdio: 'inherit' });
  // The child gets the terminal's signals itself; we only wait for it.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', (e) => reject(new UserError(`cannot run ${target.output}: ${e.message}`)));
    child.on('exit', (code, signal) => resolve({ code, signal }));
  });
  process.off('SIGINT', ignore);
  const secs = ((performance.now() - t0) / 1000).toFixed(2);
  process.stderr.write(`${target.output} exited with ${signal ? `signal ${signal}` : `code ${code}`} after ${secs}s\n`);
  return code ?? 128 + 1;
}
