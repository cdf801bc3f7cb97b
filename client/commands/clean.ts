import { runClean } from '../build-client.js';
import { resolveProject } from '../project.js';

export interface CleanArgs {
  dir?: string;
  daemon?: boolean;
}

export async function run(args: CleanArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const { removed } = await runClean(root, { noDaemon: args.daemon === false, onEvent: () => {} });
  console.log(`removed ${removed}/ and the build state`);
  return 0;
}
