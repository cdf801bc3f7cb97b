// Which slot a compile runs in: a distcc host with room (in the host list's order,
// the first preferred, as distcc itself does), else one of this machine's slots, else
// it waits for the first to free. Hosts that keep failing are set aside for a while:
// the build goes on without them, and `status` says until when.
//
// Per host it keeps what status and the stats show: jobs sent, failures, time.

import type { DistccHost } from '../../config/distcc-hosts.js';
import { CompileCancelledError } from '../compile-runner.js';

export type Slot = { kind: 'remote'; host: DistccHost } | { kind: 'local' };

export interface HostFigures {
  name: string;
  limit: number;
  running: number;
  /** Compiles sent to it (each attempt counts). */
  jobs: number;
  /** Attempts that failed for a reason of distcc or the host, not of the source. */
  failures: number;
  /** Mean time of its successful compiles, ms; null before the first. */
  mean_ms: number | null;
  /** Epoch ms until which it gets no work; null when it is in use. */
  set_aside_until: number | null;
  last_error: string | null;
  /** Why it gets no work at all until the daemons restart (its compiler is not ours). */
  excluded: string | null;
}

export interface HostPoolOptions {
  /** Failures in a row that set a host aside (default 3). */
  failuresToSetAside?: number;
  /** How long it stays aside (default 60 s, distcc's own backoff period). */
  setAsideMs?: number;
  now?: () => number;
}

interface HostState {
  host: DistccHost;
  running: number;
  jobs: number;
  failures: number;
  okCount: number;
  okMs: number;
  inARow: number;
  asideUntil: number;
  lastError: string | null;
  excluded: string | null;
}

interface Waiter {
  localOnly: boolean;
  exclude: ReadonlySet<string>;
  grant(slot: Slot): void;
}

export class HostPool {
  private readonly states: HostState[];
  private localRunning = 0;
  private readonly waiters: Waiter[] = [];
  private readonly failuresToSetAside: number;
  private readonly setAsideMs: number;
  private readonly now: () => number;

  constructor(
    hosts: readonly DistccHost[],
    /** This machine's compile slots (parallel_jobs), read at each grant so a reload applies. */
    private readonly localSlots: () => number,
    opts: HostPoolOptions = {},
  ) {
    this.states = hosts.map((host) => ({ host, running: 0, jobs: 0, failures: 0, okCount: 0, okMs: 0, inARow: 0, asideUntil: 0, lastError: null, excluded: null }));
    this.failuresToSetAside = opts.failuresToSetAside ?? 3;
    this.setAsideMs = opts.setAsideMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  /** Compiles in flight at most: this machine's slots plus every host's limit. */
  width(): number {
    return this.localSlots() + this.states.reduce((n, s) => n + s.host.limit, 0);
  }

  /** A slot for one compile; `localOnly` for what must run here, `exclude` for hosts
   *  this compile already failed on. Rejects with CompileCancelledError on `signal`. */
  acquire(opts: { localOnly?: boolean; exclude?: ReadonlySet<string>; signal?: AbortSignal } = {}): Promise<Slot> {
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(new CompileCancelledError());
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new CompileCancelledError());
      };
      const waiter: Waiter = {
        localOnly: opts.localOnly ?? false,
        exclude: opts.exclude ?? new Set(),
        grant: (slot) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(slot);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.dispatch();
    });
  }

  release(slot: Slot): void {
    if (slot.kind === 'local') this.localRunning--;
    else this.stateOf(slot.host).running--;
    this.dispatch();
  }

  /** A compile on `host` came back (the compiler ran there, whatever it said). */
  succeeded(host: DistccHost, ms: number): void {
    const s = this.stateOf(host);
    s.jobs++;
    s.okCount++;
    s.okMs += ms;
    s.inARow = 0;
  }

  /** A compile on `host` failed for distcc's or the host's reasons. */
  failed(host: DistccHost, why: string): void {
    const s = this.stateOf(host);
    s.jobs++;
    s.failures++;
    s.inARow++;
    s.lastError = why;
    if (s.inARow >= this.failuresToSetAside) {
      s.asideUntil = this.now() + this.setAsideMs;
      // One probe after the window: a failure then sets it aside again at once.
      s.inARow = this.failuresToSetAside - 1;
    }
  }

  /** `host` gets no more work while this process runs. */
  exclude(host: DistccHost, why: string): void {
    this.stateOf(host).excluded = why;
  }

  figures(): HostFigures[] {
    const now = this.now();
    return this.states.map((s) => ({
      name: s.host.name,
      limit: s.host.limit,
      running: s.running,
      jobs: s.jobs,
      failures: s.failures,
      mean_ms: s.okCount ? Math.round(s.okMs / s.okCount) : null,
      set_aside_until: s.asideUntil > now ? s.asideUntil : null,
      last_error: s.lastError,
      excluded: s.excluded,
    }));
  }

  private stateOf(host: DistccHost): HostState {
    const s = this.states.find((x) => x.host.name === host.name);
    if (!s) throw new Error(`internal: ${host.name} is not in the host list`);
    return s;
  }

  private pick(w: Waiter): Slot | null {
    if (!w.localOnly) {
      const now = this.now();
      const s = this.states.find((x) => x.running < x.host.limit && x.asideUntil <= now && x.excluded === null && !w.exclude.has(x.host.name));
      if (s) {
        s.running++;
        return { kind: 'remote', host: s.host };
      }
    }
    if (this.localRunning < Math.max(1, this.localSlots())) {
      this.localRunning++;
      return { kind: 'local' };
    }
    return null;
  }

  /** Grants what can be granted, oldest waiter first; one that fits nowhere yet does
   *  not hold back a later one that fits elsewhere (a local-only retry, say). */
  private dispatch(): void {
    for (let i = 0; i < this.waiters.length; ) {
      const w = this.waiters[i]!;
      const slot = this.pick(w);
      if (slot) {
        this.waiters.splice(i, 1);
        w.grant(slot);
      } else i++;
    }
  }
}
