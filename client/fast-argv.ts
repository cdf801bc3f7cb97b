// The no-op `replibuild compile` is on every build's path (make, editors, watch
// loops), so its usual spellings are parsed here without loading commander.
// Anything this does not recognise (--help, a typo, another command) returns
// null and goes to commander, which owns the help text and the error messages.
import type { CompileArgs } from './commands/compile.js';

export function parseCompileArgs(argv: readonly string[]): CompileArgs | null {
  if (argv[0] !== 'compile') return null;
  const out: CompileArgs = { targets: [] };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string | null => (i + 1 < argv.length ? argv[++i]! : null);
    if (a === '-k' || a === '--keep-going') out.keepGoing = true;
    else if (a === '-v' || a === '--verbose') out.verbose = true;
    else if (a === '--json') out.json = true;
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
    else if (a === '-j' || a === '--jobs' || /^-j\d+$/.test(a) || a.startsWith('--jobs=')) {
      const v = a.startsWith('--jobs=') ? a.slice(7) : /^-j\d+$/.test(a) ? a.slice(2) : value();
      if (v === null || !/^\d+$/.test(v)) return null;
      out.jobs = Number(v);
    } else if (!a.startsWith('-')) out.targets.push(a);
    else return null;
  }
  return out;
}
