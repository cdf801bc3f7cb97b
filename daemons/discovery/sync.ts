// Synchronizing with the event stream, as watchman does it: events from one inotify
// queue arrive in order, so once the event for a cookie file written *now* arrives,
// every event for an edit made before now has arrived too. Waiting a fixed time
// instead would be either slow or wrong.

import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { COOKIE_PREFIX } from '../common/watch-scope.js';

/**
 * Runs `work` in rounds shared by concurrent callers. A caller joins the first round
 * that *starts* after it called: joining one already running could miss an edit made
 * between that round's start and the call.
 */
export class SharedRounds<T> {
  private running: Promise<T> | null = null;
  private next: Promise<T> | null = null;

  constructor(private readonly work: () => Promise<T>) {}

  run(): Promise<T> {
    if (!this.running) return this.start();
    if (!this.next) {
      this.next = this.running
        .catch(() => undefined)
        .then(() => {
          this.next = null;
          return this.start();
        });
    }
    return this.next;
  }

  /** Resolves when no round is running or queued. */
  async idle(): Promise<void> {
    while (this.running || this.next) await (this.next ?? this.running)!.catch(() => undefined);
  }

  private start(): Promise<T> {
    const p: Promise<T> = this.work().finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }
}

export interface CookieTarget {
  /** The watch root this cookie vouches for. */
  root: string;
  /** Watched directories to write the cookie in, best first. */
  dirs: string[];
}

export interface CookieRoundResult {
  /** Cookies whose event arrived. */
  seen: number;
  /** Roots where no cookie could be written (read-only, gone). */
  unwritable: string[];
  /** Roots whose cookie was written but not reported in time: their watch is broken. */
  timedOut: string[];
}

/** Writes cookies, waits for the watcher to report them, removes them. */
export class CookieWaiter {
  private counter = 0;
  private readonly waiting = new Map<string, () => void>();
  readonly prefix = `${COOKIE_PREFIX}${process.pid}-`;

  constructor(private readonly timeoutMs: number) {}

  /** The watcher saw a cookie-named entry appear (or change). */
  seen(name: string): void {
    const done = this.waiting.get(name);
    if (done) {
      this.waiting.delete(name);
      done();
    }
  }

  /**
   * One cookie per target, waited for, written in the first of the target's directories
   * that takes it; one per directory in `probeDirs`, not waited for: a probe's event
   * only proves that its directory is watched by now (see the service's new directories).
   */
  async round(targets: readonly CookieTarget[], probeDirs: readonly string[] = []): Promise<CookieRoundResult> {
    const n = ++this.counter;
    const written: { dir: string; name: string }[] = [];
    const result: CookieRoundResult = { seen: 0, unwritable: [], timedOut: [] };
    const waits: Promise<void>[] = [];
    const timers: NodeJS.Timeout[] = [];
    try {
      // Probes first, so their events come before the targets' cookies.
      for (const [i, dir] of probeDirs.entries()) {
        const name = `${this.prefix}${n}-p${i}`;
        if (writeCookie(dir, name)) written.push({ dir, name });
      }
      for (const [i, target] of targets.entries()) {
        const name = `${this.prefix}${n}-${i}`;
        // Registered before the write: the event can arrive before the write resolves.
        const arrived = new Promise<boolean>((resolve) => {
          this.waiting.set(name, () => resolve(true));
          timers.push(setTimeout(() => resolve(false), this.timeoutMs));
        });
        let dir: string | undefined;
        for (const d of target.dirs) {
          if (writeCookie(d, name)) {
            dir = d;
            break;
          }
        }
        if (dir === undefined) {
          this.waiting.delete(name);
          result.unwritable.push(target.root);
          continue;
        }
        written.push({ dir, name });
        waits.push(
          arrived.then((ok) => {
            if (ok) result.seen++;
            else {
              this.waiting.delete(name);
              result.timedOut.push(target.root);
            }
          }),
        );
      }
      await Promise.all(waits);
    } finally {
      for (const t of timers) clearTimeout(t);
      for (const { dir, name } of written) removeCookie(join(dir, name));
    }
    return result;
  }
}

// Plain system calls, not the thread pool's: a sync round is on every build's path
// (a no-op's included), and two hops through the pool cost more than the calls.
function writeCookie(dir: string, name: string): boolean {
  try {
    closeSync(openSync(join(dir, name), 'wx'));
    return true;
  } catch {
    // Read-only or vanished directory: the caller rescans it instead.
    return false;
  }
}

function removeCookie(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* gone with its directory */
  }
}
