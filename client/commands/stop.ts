import { stopAll, type StopOutcome } from '../stopper.js';
import { resolveProject } from '../project.js';

export interface StopArgs {
  dir?: string;
}

function describe(o: StopOutcome): string {
  const name = o.name.padEnd(13);
  switch (o.state) {
    case 'stopped':
      return `${name}stopped  pid ${o.pid}${o.how === 'shutdown' ? '' : ` (${o.how})`}`;
    case 'stale-removed':
      return `${name}not running (removed stale pid file of pid ${o.pid})`;
    case 'not-running':
      return `${name}not running`;
  }
}

export async function run(args: StopArgs): Promise<number> {
  const root = resolveProject(args.dir);
  await stopAll(root, (o) => console.log(describe(o)));
  return 0;
}
