// A full garbage collection once a daemon has gone quiet after work. V8 grows its
// heap during a big build (parsed depfiles, manifests, JSON of a 20,000-TU state) and
// then sits on the pages for as long as the process lives; four long-lived
// daemons per project make that the user's memory. Collecting when idle hands
// them back at a moment when the pause costs nobody anything.
//
// Two collections, not one. The first, soon after the work, frees the old
// generation. The young generation (up to 2 × 16 MB, all of it resident once a
// build has filled it) is shrunk back only by a collection that finds the
// allocation rate low over V8's last 5 s of samples (Heap::ReduceNewSpaceSize),
// and the first collection's sample still spans the build; the second, a quiet
// while later, sees only idle time and returns those pages: at 20 TUs that was
// 20–30 MB for each of the orchestrator and compilation daemons.

// The second collection also compacts: V8 otherwise moves objects only off its most
// fragmented pages, and the pages a build left partly filled would stay (at 20 TUs idle
// after a build: compilation 2.3 MB and orchestrator 1.4 MB less with it). It is the
// second, once the first has freed the garbage, so that what it weighs (below) is the
// live heap and the RSS without the garbage. Only it:
// a compacting collection copies the live old generation into fresh pages before it
// frees the old ones, so its RSS briefly grows by the live heap. Under the V8 flag for
// every full collection (--compact-on-every-full-gc) the collections V8 ran in the
// middle of work did that too, at the work's biggest heap: discovery's start scan at
// 20,000 TUs peaked at 134 MB with it, 97 MB without.

import { setFlagsFromString } from 'node:v8';

/** Quiet time after the last request before the first collection. */
const IDLE_MS = 2000;
/** Quiet time after the first collection before the second: past V8's 5 s window. */
const SHRINK_MS = 5500;
/** Quiet time after a second collection that could not compact (its transient would not
 *  fit under the high-water mark) before one more try: that collection has just handed
 *  back the young generation, which is often what the compaction needed. Short, so that it
 *  is done within the 9 s after a build that bench/scale-memory.mjs waits. */
const RETRY_MS = 300;

export class IdleCollector {
  private timer: NodeJS.Timeout | null = null;
  /** Collections the pending timer still has to run (2: it waits for the first). */
  private left = 0;
  /** The collector; returns false when it was asked to compact and could not (collect()). */
  private readonly gc: ((compact: boolean) => unknown) | null;
  /** Whether this quiet spell has had its one more try at compacting. */
  private retried = false;
  collections = 0;
  /** Runs once the daemon has gone quiet, just before the first collection: work that
   *  frees memory (memos a build overflowed) and must not delay a request. */
  onQuiet: (() => void) | null = null;
  /** A request still being handled (a build's compile batch, which settles only when the
   *  build ends): the daemon is not quiet, so neither the collection nor onQuiet runs. */
  busy: () => boolean = () => false;

  constructor(
    private readonly idleMs = IDLE_MS,
    /** The collector; default the global `gc` that --expose-gc gives (none: this does nothing). */
    gc?: (compact: boolean) => unknown,
    private readonly shrinkMs = SHRINK_MS,
  ) {
    const g = (globalThis as { gc?: () => void }).gc;
    this.gc = gc ?? (typeof g === 'function' ? (compact) => collect(g, compact) : null);
  }

  /** Work happened: collect once it has been quiet for idleMs, and again shrinkMs later. */
  activity(): void {
    if (!this.gc) return;
    if (this.timer && this.left === 2) {
      this.timer.refresh();
      return;
    }
    this.stop();
    this.retried = false;
    this.schedule(this.idleMs, 2);
  }

  private schedule(ms: number, left: number): void {
    this.left = left;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A full collection in the middle of a cold build takes a core from its compilers.
      if (this.busy()) return this.schedule(this.idleMs, 2);
      if (left === 2) this.onQuiet?.();
      this.collections++;
      const compacted = this.gc!(left === 1);
      if (left > 1) this.schedule(this.shrinkMs, left - 1);
      else if (compacted === false && !this.retried) {
        // At 20,000 TUs the orchestrator's compaction (14 MB of idle heap) was skipped
        // once for want of a few MB of room under its high-water mark.
        this.retried = true;
        this.schedule(RETRY_MS, 1);
      }
    }, ms);
    // Never the reason a daemon stays up.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** A live heap this small is compacted whatever the high-water mark: the most it can add
 *  to it (at 5,000 TUs the orchestrator's and compilation daemon's idle heaps are 21 and
 *  28 MB, whose compaction saves 3-5 MB of idle RSS each). */
const SMALL_HEAP = 32 * 1024 * 1024;

/** A full collection by `gc`; `compact`: one that compacts every page, unless its transient
 *  (up to the live heap on top of the RSS) could raise the process's high-water mark and
 *  the heap is not small (SMALL_HEAP). At
 *  20,000 TUs the orchestrator's compacting idle collection after an edit took its peak
 *  from 183 to 220 MB; left out, its idle RSS stays about 20 MB higher (133 against 111
 *  MB, heap 82 MB for 57 used). At 20 TUs and 5,000 the transient fits under the peak.
 *  The V8 flag is read at each collection, so it is set for this one only. False: asked
 *  to compact, it collected without (IdleCollector tries once more). */
function collect(gc: () => void, compact: boolean): boolean {
  const m = process.memoryUsage();
  const fits = m.heapUsed <= SMALL_HEAP || m.rss + m.heapUsed <= process.resourceUsage().maxRSS * 1024;
  if (!compact || !fits) {
    gc();
    return !compact;
  }
  setFlagsFromString('--compact-on-every-full-gc');
  try {
    gc();
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc');
  }
  return true;
}
