// `replibuild logs [NAME] [-f]`: the daemons' logs, optionally followed.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import { projectPaths } from '../../daemons/host/paths.js';
import { DAEMON_NAMES, isDaemonName, type DaemonName } from '../../config/daemon-names.js';
import { UserError } from '../../daemons/common/user-error.js';
import { tailFile } from '../launcher.js';
import { resolveProject } from '../project.js';

export interface LogsArgs {
  dir?: string;
  name?: string;
  follow?: boolean;
  lines?: number;
}

function readFrom(file: string, offset: number): { text: string; end: number } {
  const size = existsSync(file) ? statSync(file).size : 0;
  if (size < offset) offset = 0; // truncated or replaced: start over
  if (size === offset) return { text: '', end: size };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.toString('utf8'), end: size };
  } finally {
    closeSync(fd);
  }
}

export async function run(args: LogsArgs): Promise<number> {
  const root = resolveProject(args.dir);
  if (args.name && !isDaemonName(args.name)) {
    throw new UserError(`no daemon named "${args.name}" (one of ${DAEMON_NAMES.join(', ')})`, 2);
  }
  const names: DaemonName[] = args.name ? [args.name as DaemonName] : [...DAEMON_NAMES];
  const paths = projectPaths(root);
  const lines = args.lines ?? 50;
  const offsets = new Map<DaemonName, number>();
  for (const n of names) {
    const file = paths.logFile(n);
    const tail = tailFile(file, lines);
    if (names.length > 1) console.log(`==> ${n} (${file}) <==`);
    if (tail) console.log(tail.replace(/^ {2}/gm, ''));
    offsets.set(n, existsSync(file) ? statSync(file).size : 0);
  }
  if (!args.follow) return 0;
  // Poll rather than fs.watch: logs are appended by other processes and may be rotated away.
  await new Promise<never>(() => {
    setInterval(() => {
      for (const n of names) {
        const { text, end } = readFrom(paths.logFile(n), offsets.get(n) ?? 0);
        offsets.set(n, end);
        if (text) process.stdout.write(names.length > 1 ? text.replace(/^(?=.)/gm, `${n}: `) : text);
      }
    }, 250);
  });
  return 0;
}
