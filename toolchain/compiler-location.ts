// Where a compiler command runs from, and that file's stat: what an identity is held
// under. Apart from compiler-identity.ts, which probes compilers (and so loads
// child_process): the discovery daemon, which imports the peers that check a held
// identity this way but never probes, then starts no program and loads none of it.
import type { Stats } from 'node:fs';
import { locateOnPath } from '../config/compiler.js';
import { statStamp } from './identity-store.js';

/** Where `command` runs from and that file's stat: an identity probed under the same
 *  path and stamp is still the compiler's. Null when it is not found. */
export function resolveCompiler(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { path: string; st: Stats; stamp: string } | null {
  // The stat that found it: one stat of the binary per call, taken as the lookup ends.
  const found = locateOnPath(command, opts);
  return found ? { path: found.path, st: found.stats, stamp: statStamp(found.stats) } : null;
}
