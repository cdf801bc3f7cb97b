// Compiles in flight through the cache in this process, across cache instances: what the
// "spare core" test counts (mode-policy.ts), and the quiet that deferred stores wait for
// (background-stores.ts). On a machine whose cores the compilers fill, every millisecond
// of cache bookkeeping during a build is taken from a compiler; after the last compile it
// runs beside the link, on a core nobody else wants.

/** How long no compile must have run before the daemon counts as quiet: long enough to
 *  bridge the gap between one job of a batch ending and the next starting. */
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
  if (inFlight === 0) arm();
}

export function compilesInFlight(): number {
  return inFlight;
}

/** Calls `fn` once, when no compile has been in flight for QUIET_MS. Returns the
 *  function that withdraws it. */
export function whenQuiet(fn: () => void): () => void {
  waiting.add(fn);
  if (inFlight === 0) arm();
  return () => void waiting.delete(fn);
}

function arm(): void {
  if (timer || waiting.size === 0) return;
  timer = setTimeout(() => {
    timer = null;
    if (inFlight !== 0) return; // compileEnded arms it again
    const fns = [...waiting];
    waiting.clear();
    for (const fn of fns) fn();
  }, QUIET_MS);
}
