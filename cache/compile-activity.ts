// Compiles in flight through the cache in this process, across cache instances: what the
// "spare core" test counts (mode-policy.ts), and the quiet that deferred stores wait for
// (background-stores.ts). While the compilers fill every core, each millisecond of cache
// bookkeeping is taken from one of them; once fewer run than there are cores (the tail of
// a build, its link) it runs on a core nobody else wants.

import { availableParallelism } from 'node:os';

export const CORES = Math.max(2, availableParallelism());

/** How long fewer compiles than cores must have run before a core counts as spare: long
 *  enough to bridge the gap between one job of a batch ending and the next starting. */
export const QUIET_MS = 25;

let inFlight = 0;
const waiting = new Set<() => void>();
let timer: NodeJS.Timeout | null = null;

/** A compile through the cache starts (the caller calls compileEnded in a finally). */
export function compileStarted(): void {
  inFlight++;
}

export function compileEnded(): void {
  inFlight--;
  if (inFlight < CORES) arm();
}

export function compilesInFlight(): number {
  return inFlight;
}

/** Calls `fn` once, when fewer compiles than cores have been in flight for QUIET_MS.
 *  Returns the function that withdraws it. */
export function whenQuiet(fn: () => void): () => void {
  waiting.add(fn);
  if (inFlight < CORES) arm();
  return () => void waiting.delete(fn);
}

function arm(): void {
  if (timer || waiting.size === 0) return;
  timer = setTimeout(() => {
    timer = null;
    if (inFlight >= CORES) return; // compileEnded arms it again
    const fns = [...waiting];
    waiting.clear();
    for (const fn of fns) fn();
  }, QUIET_MS);
}
