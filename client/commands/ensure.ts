// `replibuild ensure`: bring back any enabled daemon that died or hangs.
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import { startDaemons } from '../launcher.js';
import { readDaemonConfig } from '../daemon-settings.js';
import { resolveProject } from '../project.js';
import { gatherStatus } from '../status-report.js';
import { describeOutcome } from './start.js';

export interface EnsureArgs {
  dir?: string;
}

const BACKOFF_MS = [0, 250, 1000, 3000];

export async function run(args: EnsureArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const config = readDaemonConfig(root);
  let lastError: Error | null = null;
  for (const delay of BACKOFF_MS) {
    if (delay) await new Promise((r) => setTimeout(r, delay));
    const report = await gatherStatus(root, config);
    const down = report.daemons.filter((d) => d.state !== 'running' && d.state !== 'disabled').map((d) => d.name);
    if (down.length === 0) {
      console.log('all enabled daemons are running');
      return 0;
    }
    try {
      // Start in dependency order; the launcher leaves running ones alone.
      await startDaemons(root, {
        config,
        only: DAEMON_NAMES.filter((n) => down.includes(n)),
        onOutcome: (o) => {
          if (o.state === 'started') console.log(describeOutcome(o));
        },
        onNote: (t) => console.log(t),
      });
      lastError = null;
    } catch (e) {
      lastError = e as Error;
      console.error(`ensure: ${lastError.message}`);
    }
  }
  const final = await gatherStatus(root, config);
  const still = final.daemons.filter((d) => d.state !== 'running' && d.state !== 'disabled');
  if (still.length === 0) return 0;
  console.error(`ensure: could not bring back ${still.map((d) => d.name).join(', ')}; see \`replibuild logs\``);
  return 1;
}
