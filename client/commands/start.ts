import { startDaemons, type StartOutcome } from '../launcher.js';
import { readDaemonConfig } from '../daemon-settings.js';
import { resolveProject } from '../project.js';

export interface StartArgs {
  dir?: string;
  autoPorts?: boolean;
}

export function describeOutcome(o: StartOutcome): string {
  const name = o.name.padEnd(13);
  switch (o.state) {
    case 'started':
      return `${name}started          pid ${o.pid}  port ${o.port}  (${o.ms} ms)`;
    case 'already-running':
      return `${name}already running  pid ${o.pid}  port ${o.port}`;
    case 'disabled':
      return `${name}disabled (its work runs in-process)`;
  }
}

export async function run(args: StartArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const config = readDaemonConfig(root);
  await startDaemons(root, {
    config,
    autoPorts: args.autoPorts,
    onOutcome: (o) => console.log(describeOutcome(o)),
    onNote: (t) => console.log(t),
  });
  return 0;
}
