// At most N jobs of one build at once, across all its compile batches: a build's
// `-j N` below the compilation daemon's width. Jobs wait in the order they asked, and
// cancelling the build drops the waiting ones.
import { CompileCancelledError } from '../../toolchain/compile-runner.js';

interface Waiter {
  go(): void;
  fail(): void;
  /** Its signal aborted: out of the line, failed. */
  drop(): void;
}

/** The waiters of one signal (a batch's jobs share their request's): one listener for all,
 *  as each addEventListener walks the signal's listeners, hundreds in a big batch. */
interface Watched {
  waiters: Set<Waiter>;
  onAbort(): void;
}

interface Gate {
  limit: number;
  running: number;
  waiting: Waiter[];
}

export class BuildGates {
  private readonly gates = new Map<string, Gate>();
  private readonly watched = new Map<AbortSignal, Watched>();

  /** Resolves, once fewer than `limit` jobs of build `id` hold a slot, with the function
   *  that frees this one (idempotent). Rejects with CompileCancelledError when `signal`
   *  aborts or `cancel(id)` comes first. */
  acquire(id: string, limit: number, signal?: AbortSignal): Promise<() => void> {
    let gate = this.gates.get(id);
    if (!gate) this.gates.set(id, (gate = { limit, running: 0, waiting: [] }));
    gate.limit = limit;
    const g = gate;
    let freed = false;
    const release = () => {
      if (freed) return;
      freed = true;
      g.running--;
      this.pump(id, g);
    };
    if (signal?.aborted) return Promise.reject(new CompileCancelledError());
    if (g.running < g.limit && g.waiting.length === 0) {
      g.running++;
      return Promise.resolve(release);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        go: () => {
          if (signal) this.unwatch(signal, w);
          g.running++;
          resolve(release);
        },
        fail: () => {
          if (signal) this.unwatch(signal, w);
          reject(new CompileCancelledError());
        },
        drop: () => {
          const i = g.waiting.indexOf(w);
          if (i >= 0) g.waiting.splice(i, 1);
          w.fail();
          this.pump(id, g);
        },
      };
      g.waiting.push(w);
      if (signal) this.watch(signal, w);
    });
  }

  private watch(signal: AbortSignal, w: Waiter): void {
    let s = this.watched.get(signal);
    if (!s) {
      const waiters = new Set<Waiter>();
      const onAbort = () => {
        this.watched.delete(signal);
        for (const x of [...waiters]) x.drop();
      };
      this.watched.set(signal, (s = { waiters, onAbort }));
      signal.addEventListener('abort', onAbort, { once: true });
    }
    s.waiters.add(w);
  }

  private unwatch(signal: AbortSignal, w: Waiter): void {
    const s = this.watched.get(signal);
    if (!s || !s.waiters.delete(w) || s.waiters.size > 0) return;
    this.watched.delete(signal);
    signal.removeEventListener('abort', s.onAbort);
  }

  /** Drops the jobs of build `id` still waiting for a slot; returns how many. */
  cancel(id: string): number {
    const g = this.gates.get(id);
    if (!g) return 0;
    const dropped = g.waiting.splice(0);
    for (const w of dropped) w.fail();
    this.pump(id, g);
    return dropped.length;
  }

  private pump(id: string, g: Gate): void {
    while (g.running < g.limit && g.waiting.length) g.waiting.shift()!.go();
    if (g.running === 0 && g.waiting.length === 0 && this.gates.get(id) === g) this.gates.delete(id);
  }
}
