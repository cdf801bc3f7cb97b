// A build's TUs are started a window at a time, not all at once. Every TU started
// holds its async frames, the hashes taken before its compile and its job at the
// compilation daemon (sent, parsed and queued there) until it is answered; a cold build
// of 20,000 TUs started whole held about 50 MB of such frames in the orchestrator's heap
// at its peak (a heap snapshot 17 s into it). The compile service runs only -j of them
// at a time anyway: the window has only to keep its queue from running dry. It is
// topped up once half of it has finished, so the jobs started together still go out
// together, as big batches (compile-batcher.ts).

/** TUs started and not finished, at most. Far above any -j: a warm rebuild's hits take
 *  a few ms each, and half a window is still a few seconds of them. */
export const START_WINDOW = 2048;

/**
 * Runs `run` on each of `items`, in order, with at most `width` of them unfinished at
 * once. Returns each item's outcome, as `run` settles it; those not started yet are
 * promises that settle once they have run.
 */
export function startWindowed<T, R>(items: readonly T[], run: (item: T) => Promise<R>, width = START_WINDOW): Promise<R>[] {
  const w = Math.max(1, width);
  const settlers: ({ resolve: (r: R) => void; reject: (e: unknown) => void } | undefined)[] = new Array(items.length);
  const out = items.map((_, i) => new Promise<R>((resolve, reject) => (settlers[i] = { resolve, reject })));
  let next = 0;
  let unfinished = 0;
  const topUp = () => {
    while (unfinished < w && next < items.length) {
      const i = next++;
      const s = settlers[i]!;
      settlers[i] = undefined; // what a started item still needs is in its closures
      unfinished++;
      const finished = () => {
        unfinished--;
        if (unfinished <= w / 2) topUp();
      };
      run(items[i]!).then(
        (r) => {
          s.resolve(r);
          finished();
        },
        (e: unknown) => {
          s.reject(e);
          finished();
        },
      );
    }
  };
  topUp();
  return out;
}
