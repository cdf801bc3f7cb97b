// The no-op `replibuild compile` is on every build's path (make, editors, watch
// loops), so its usual spellings are parsed here without loading commander.
// Anything this does not recognise (--help, a typo, another command) returns
// null and goes to commander, which owns the help text and the error messages.
import { availableParallelism } from 'node:os';
import type { CompileArgs } from './commands/compile.js';
import { UserError } from '../daemons/common/user-error.js';

export class JobsArgumentError extends UserError {
  constructor(value: string) {
    super(`-j takes a number of parallel jobs, not "${value}" (a bare -j, last or before another option, means one job per core)`, 2);
    this.name = 'JobsArgumentError';
  }
}

/** The value of -j. A bare -j (make's habit) is '': one job per core, what make's
 *  "no limit" comes to on a machine whose cores are the limit. */
export function parseJobs(value: string): number {
  if (value === '') return availableParallelism();
  if (!/^\d+$/.test(value)) throw new JobsArgumentError(value);
  return Number(value);
}

/**
 * make's and ninja's `-C DIR` before the command (`replibuild -C DIR compile`):
 * the directories, in order, and the arguments left. Each is relative to the one
 * before, as with make; the command's own -C is then relative to the last.
 */
export function takeLeadingDirs(argv: readonly string[]): { dirs: string[]; rest: string[] } | null {
  const dirs: string[] = [];
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-C' || a === '--dir') {
      const v = argv[i + 1];
      if (v === undefined) return null;
      dirs.push(v);
      i++;
    } else if (a.startsWith('--dir=')) dirs.push(a.slice(6));
    else if (a.startsWith('-C') && a.length > 2) dirs.push(a.slice(2));
    else break;
  }
  return { dirs, rest: argv.slice(i) };
}

export function parseCompileArgs(argv: readonly string[]): CompileArgs | null {
  if (argv[0] !== 'compile') return null;
  const out: CompileArgs = { targets: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | null => (i + 1 < argv.length ? argv[++i]! : null);
    if (a === '-k' || a === '--keep-going') out.keepGoing = true;
    else if (a === '-v' || a === '--verbose') out.verbose = true;
    else if (a === '--json') out.json = true;
    else if (a === '--explain') out.explain = true;
    else if (a === '--no-daemon') out.daemon = false;
    else if (a === '-C' || a === '--dir') {
      const v = value();
      if (v === null) return null;
      out.dir = v;
    } else if (a.startsWith('--dir=')) out.dir = a.slice(6);
    else if (a === '--profile') {
      const v = value();
      if (v === null) return null;
      out.profile = v;
    } else if (a.startsWith('--profile=')) out.profile = a.slice(10);
    else if (a === '-j' || a === '--jobs') {
      const next = argv[i + 1];
      out.jobs = parseJobs(next === undefined || next.startsWith('-') ? '' : value()!);
    } else if (/^-j./.test(a) || a.startsWith('--jobs=')) out.jobs = parseJobs(a.startsWith('--jobs=') ? a.slice(7) : a.slice(2));
    else if (!a.startsWith('-')) out.targets.push(a);
    else return null;
  }
  return out;
}
