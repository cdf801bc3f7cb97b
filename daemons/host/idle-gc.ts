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

// Every idle collection also compacts, in bounded steps. V8 otherwise moves objects only
// off its most fragmented pages, and the pages a build left partly filled would stay (at
// 20 TUs idle after a build: compilation 2.3 MB and orchestrator 1.4 MB less compacted;
// at 20,000 TUs the orchestrator's idle RSS was 133 MB uncompacted against 111 MB).
// Compacting copies live objects into fresh pages before it frees the old ones, so its
// RSS briefly grows by what it moves. Compacting every page at once (V8's
// --compact-on-every-full-gc) moved the whole live old generation: at 20,000 TUs the
// orchestrator's idle collection after an edit took its peak from 183 to 220 MB, and
// the peak is judged as the high-water mark. So it used to compact only when RSS + live
// heap fitted under that mark, which at 20,000 TUs the orchestrator's often did not: ±10
// MB of idle RSS on how the build's peak happened to fall. V8's optimize-for-size mode
// instead picks as evacuation candidates only pages at least 20% free and moves at most
// 6 MB of live objects per collection (mark-compact.cc, kMaxEvacuatedBytesForOptimizeMemory):
// the transient is that bound, whatever the heap, and a few collections a little apart do
// what one whole compaction did (a synthetic 88 MB live heap in 250 MB: 6 steps of 20 MB
// each to the same 155 MB; the high-water mark rose 0-2 MB a step against 55 MB at once).
// Mid-work collections never compact more than V8's own heuristics: the flag is set for
// the idle ones only (under --compact-on-every-full-gc, discovery's start scan at
// 20,000 TUs peaked at 134 MB instead of 97).

import { createRequire } from 'node:module';

/** Quiet time after the last request before the first collection. */
const IDLE_MS = 2000;
/** Quiet time after the first collection before the second: past V8's 5 s window. */
const SHRINK_MS = 5500;
/** Time between compaction steps: short, so that a 20,000-TU orchestrator's steps are done
 *  within the 9 s after a build that bench/scale-memory.mjs waits, and long enough that a
 *  request arriving meanwhile is not held up by more than one collection. */
const STEP_MS = 100;
/** Most compaction steps after one collection (each moves at most 6 MB). */
const MAX_STEPS = 12;

export class IdleCollector {
  private timer: NodeJS.Timeout | null = null;
  /** Collections the pending timer still has to run (2: it waits for the first). */
  private left = 0;
  /** Compaction steps the pending timer follows (0: it waits for a collection itself). */
  private steps = 0;
  /** When the second collection is due (Date.now()). */
  private secondAt = 0;
  /** The collector; returns true when its collection freed enough that one more compaction
   *  step is worth running (collect()). */
  private readonly gc: (() => unknown) | null;
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
    gc?: () => unknown,
    private readonly shrinkMs = SHRINK_MS,
    private readonly stepMs = STEP_MS,
  ) {
    const g = (globalThis as { gc?: () => void }).gc;
    this.gc = gc ?? (typeof g === 'function' ? () => collect(g) : null);
    if (!gc && this.gc) loadFlagSetter();
  }

  /** Work happened: collect once it has been quiet for idleMs, and again shrinkMs later. */
  activity(): void {
    if (!this.gc) return;
    if (this.timer && this.left === 2 && this.steps === 0) {
      this.timer.refresh();
      return;
    }
    this.stop();
    this.schedule(this.idleMs, 2, 0);
  }

  private schedule(ms: number, left: number, steps: number): void {
    this.left = left;
    this.steps = steps;
    this.timer = setTimeout(() => {
      this.timer = null;
      // A full collection in the middle of a cold build takes a core from its compilers.
      if (this.busy()) return this.schedule(this.idleMs, 2, 0);
      if (left === 2 && steps === 0) {
        this.onQuiet?.();
        // Counted from the first collection, not its last step: the steps allocate next
        // to nothing, so V8's window sees idle time all the same, and the young
        // generation comes back as soon as it would without them.
        this.secondAt = Date.now() + this.shrinkMs;
      }
      this.collections++;
      const more = this.gc!() === true;
      if (more && steps < MAX_STEPS) this.schedule(this.stepMs, left, steps + 1);
      else if (left > 1) this.schedule(Math.max(0, this.secondAt - Date.now()), left - 1, 0);
    }, ms);
    // Never the reason a daemon stays up.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** What a collection must give back for one more step: a V8 page is 256 KB. */
const STEP_GAIN = 1024 * 1024;

/** Whether the daemon runs with V8's optimize-for-size mode throughout (--lite-mode implies
 *  it: setup, discovery and compilation, client/launcher.ts): every full collection then
 *  compacts so, and the mode must not be switched off after one. */
const ALWAYS_FOR_SIZE = process.execArgv.some((a) => a === '--lite-mode' || a === '--optimize-for-size');

/** node:v8's flag setter, loaded only where the mode must be switched on for a collection
 *  (the orchestrator): the module costs 0.3 MB of RSS in each process that loads it. */
let setFlags: ((flags: string) => void) | null = null;
function loadFlagSetter(): void {
  // Not import(): in a daemon's CommonJS bundle that would start Node's ES module loader.
  if (!ALWAYS_FOR_SIZE) setFlags ??= (createRequire(import.meta.url)('node:v8') as typeof import('node:v8')).setFlagsFromString;
}

/** A full collection by `gc` in V8's optimize-for-size mode, which compacts (above). The
 *  V8 flag is read at each collection, so it is set for this one only. True: the heap's
 *  committed size fell by STEP_GAIN or more, so another step may free more. */
function collect(gc: () => void): boolean {
  const before = process.memoryUsage().heapTotal;
  const setFlagsFromString = setFlags;
  if (!setFlagsFromString) gc(); // the mode is on throughout
  else {
    setFlagsFromString('--optimize-for-size');
    try {
      gc();
    } finally {
      setFlagsFromString('--no-optimize-for-size');
    }
  }
  return before - process.memoryUsage().heapTotal >= STEP_GAIN;
}
