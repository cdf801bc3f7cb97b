// A compile runner that sends cache misses to distcc hosts: a slot from the pool, the
// compile on that host, and, when the host or distcc fails, the same job again on
// another host or here. A job never fails because of a host: its last try is local.
//
// A compile error on a host is compiled again here, once: gcc on the host reads the
// preprocessed text, not the source, so its diagnostics lack the source excerpts a
// local compile shows; the local run gives the user exactly what `g++` by hand would,
// and it is the local compiler's verdict that counts.

import type { DistccHost } from '../../config/distcc-hosts.js';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { runCompile, type RunCompileOptions, type RunnerIdentity } from '../compile-runner.js';
import { HostPool, type HostFigures, type HostPoolOptions } from './host-pool.js';
import { compileOnHost, type RemoteCompileSetup } from './remote-compile.js';
import { probeHost, type ProbeVerdict } from './host-probe.js';

/** What a distributed compile reports, for the counters that outlive the process. */
export interface HostEvent {
  host: string;
  ok: boolean;
  ms: number;
}

export interface DistributorOptions extends HostPoolOptions {
  hosts: readonly DistccHost[];
  localSlots: () => number;
  setup: RemoteCompileSetup;
  /** The options every compile runs with, local or through distcc (the daemon's put
   *  the processes it starts on record, so a killed daemon's are reaped). */
  record?: (job: CompileJob, opts: RunCompileOptions) => RunCompileOptions;
  /** Each remote attempt, as it ends. */
  onHostEvent?: (e: HostEvent) => void;
  log?: (line: string) => void;
}

/** Hosts one compile may try before it goes local. */
const MAX_REMOTE_TRIES = 2;

export class Distributor {
  readonly pool: HostPool;
  /** Each host's probe (host-probe.ts), once it passed or while it runs. */
  private readonly probes = new Map<string, Promise<ProbeVerdict>>();

  constructor(private readonly o: DistributorOptions) {
    this.pool = new HostPool(o.hosts, o.localSlots, o);
  }

  /** Compiles in flight at most: local slots plus the hosts' limits. */
  width(): number {
    return this.pool.width();
  }

  figures(): HostFigures[] {
    return this.pool.figures();
  }

  readonly run = async (job: CompileJob, identity: RunnerIdentity, opts: RunCompileOptions = {}): Promise<CompileResult> => {
    const tried = new Set<string>();
    let localOnly = false;
    const runOpts = this.o.record ? this.o.record(job, opts) : opts;
    for (;;) {
      const slot = await this.pool.acquire({ localOnly: localOnly || tried.size >= MAX_REMOTE_TRIES, exclude: tried, ...(opts.signal ? { signal: opts.signal } : {}) });
      try {
        if (slot.kind === 'local') return await runCompile(job, identity, runOpts);
        const { host } = slot;
        const verdict = await this.probed(host, job, identity);
        if (verdict.kind !== 'same') {
          if (verdict.kind === 'differs') this.pool.exclude(host, verdict.why);
          else this.pool.failed(host, verdict.why);
          this.o.onHostEvent?.({ host: host.name, ok: false, ms: 0 });
          this.o.log?.(`distcc: ${host.name}: ${verdict.why}`);
          tried.add(host.name);
          continue;
        }
        const t0 = performance.now();
        const out = await compileOnHost(this.o.setup, host, job, identity, runOpts);
        const ms = Math.round(performance.now() - t0);
        if (out.kind === 'host-failed') {
          this.pool.failed(host, out.why);
          this.o.onHostEvent?.({ host: host.name, ok: false, ms });
          this.o.log?.(`distcc: ${job.source} on ${host.name} failed: ${out.why}; trying ${tried.size + 1 >= MAX_REMOTE_TRIES ? 'locally' : 'elsewhere'}`);
          tried.add(host.name);
          continue;
        }
        // distcc ran it here by itself: not a job of the host's.
        if (out.kind === 'local') return out.result;
        this.pool.succeeded(host, ms);
        this.o.onHostEvent?.({ host: host.name, ok: true, ms });
        if (out.result.outcome === 'failed') {
          localOnly = true;
          continue;
        }
        return { ...out.result, compiled_on: host.name };
      } finally {
        this.pool.release(slot);
      }
    }
  };

  /** The host's probe: run once, shared by the jobs that wait for it; one that failed
   *  for the host's reasons runs again at the host's next job. Not cancelled with a
   *  job: it is short, and the next job needs its answer. */
  private probed(host: DistccHost, job: CompileJob, identity: RunnerIdentity): Promise<ProbeVerdict> {
    const key = `${host.name}\0${identity.cache_id}`;
    let p = this.probes.get(key);
    if (!p) {
      const opts = this.o.record ? this.o.record(job, {}) : {};
      p = probeHost(this.o.setup, host, identity, opts).catch((e: unknown) => ({ kind: 'host-failed' as const, why: `probe: ${(e as Error).message}` }));
      this.probes.set(key, p);
      void p.then((v) => {
        if (v.kind === 'host-failed') this.probes.delete(key);
      });
    }
    return p;
  }
}
