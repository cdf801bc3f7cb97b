// Cache statistics, persisted in the cache directory and shared by every process
// using it (two projects' daemons, a --no-daemon build, the CLI).
//
// Read-modify-write of one stats.json by several processes loses updates, so each
// process only ever writes new, immutable delta files (its increments since its
// last flush). Readers sum stats.json and the deltas. Now and then a process folds
// the deltas into stats.json under a lock directory; the new stats.json names the
// deltas it absorbed, so a fold that dies before deleting them does not count them
// twice: the next fold (and every reader) skips the names listed there.

import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomicAsync } from '../fs/atomic-write.js';

export interface StatCounters {
  direct_hits: number;
  preprocessed_hits: number;
  misses: number;
  /** Compiles that were not looked up, by reason. */
  uncacheable: Record<string, number>;
  /** Compiled after a miss but not stored, by reason ("changed during compile", ...). */
  not_stored: Record<string, number>;
  /** Corrupt entries found (and removed), and internal failures of the cache. */
  errors: number;
  evictions: number;
  compile_failed: number;
  /** Sums, for the means. */
  hit_ms_total: number;
  miss_ms_total: number;
  link_hits: number;
  link_misses: number;
  /** The remote tier, per entry (manifest, result, link) read or written there. */
  remote_hits: number;
  remote_misses: number;
  /** Failed, timed-out and refused-by-Redis calls, and corrupt values found there. */
  remote_errors: number;
  /** Calls not made while the circuit was open. */
  remote_skipped: number;
  remote_bytes_read: number;
  remote_bytes_written: number;
  /** Calls answered, and their summed time, for the mean latency. */
  remote_calls: number;
  remote_ms_total: number;
  /** Compiles sent to each distcc host (by its name in the host list). */
  distcc: Record<string, DistccCounts>;
}

export interface DistccCounts {
  jobs: number;
  failures: number;
  /** Summed time of the jobs that did not fail, for the mean. */
  ok_ms_total: number;
}

const REMOTE_ZERO = {
  remote_hits: 0,
  remote_misses: 0,
  remote_errors: 0,
  remote_skipped: 0,
  remote_bytes_read: 0,
  remote_bytes_written: 0,
  remote_calls: 0,
  remote_ms_total: 0,
};

export function emptyCounters(): StatCounters {
  return {
    direct_hits: 0,
    preprocessed_hits: 0,
    misses: 0,
    uncacheable: {},
    not_stored: {},
    errors: 0,
    evictions: 0,
    compile_failed: 0,
    hit_ms_total: 0,
    miss_ms_total: 0,
    link_hits: 0,
    link_misses: 0,
    ...REMOTE_ZERO,
    distcc: {},
  };
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function addMap(into: Record<string, number>, from: unknown): void {
  if (typeof from !== 'object' || from === null) return;
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + num(v);
}

/** Adds `from` (possibly partial or from an older version) into `into`. */
export function addCounters(into: StatCounters, from: Partial<StatCounters> | null | undefined): StatCounters {
  if (!from) return into;
  for (const k of ['direct_hits', 'preprocessed_hits', 'misses', 'errors', 'evictions', 'compile_failed', 'hit_ms_total', 'miss_ms_total', 'link_hits', 'link_misses'] as const) {
    into[k] += num(from[k]);
  }
  for (const k of Object.keys(REMOTE_ZERO) as (keyof typeof REMOTE_ZERO)[]) into[k] += num(from[k]);
  addMap(into.uncacheable, from.uncacheable);
  addMap(into.not_stored, from.not_stored);
  if (typeof from.distcc === 'object' && from.distcc !== null) {
    for (const [host, c] of Object.entries(from.distcc)) {
      const to = (into.distcc[host] ??= { jobs: 0, failures: 0, ok_ms_total: 0 });
      to.jobs += num(c?.jobs);
      to.failures += num(c?.failures);
      to.ok_ms_total += num(c?.ok_ms_total);
    }
  }
  return into;
}

function isEmpty(c: StatCounters): boolean {
  return JSON.stringify(c) === JSON.stringify(emptyCounters());
}

interface StatsFile {
  version: 1;
  counters: StatCounters;
  /** Delta files already added into `counters`. */
  folded: string[];
}

const STATS_FILE = 'stats.json';
const LOCK_DIR = 'fold.lock';
const DELTA_PREFIX = 'delta-';
const STALE_LOCK_MS = 30_000;
const FOLD_AT = 16;

function writeAtomic(path: string, data: string): Promise<void> {
  return writeFileAtomicAsync(path, data, { mode: 0o600 });
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch {
    // Missing, or torn by something outside our atomic writes: counted as nothing.
    return null;
  }
}

async function readStatsFile(dir: string): Promise<StatsFile> {
  const j = (await readJson(join(dir, STATS_FILE))) as Partial<StatsFile> | null;
  return {
    version: 1,
    counters: addCounters(emptyCounters(), j?.counters),
    folded: Array.isArray(j?.folded) ? j.folded.filter((x): x is string => typeof x === 'string') : [],
  };
}

async function deltaNames(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((n) => n.startsWith(DELTA_PREFIX) && n.endsWith('.json')).sort();
  } catch {
    return [];
  }
}

/** Every counter as all processes have flushed them. */
export async function readCounters(statsDir: string): Promise<StatCounters> {
  const names = await deltaNames(statsDir);
  const base = await readStatsFile(statsDir);
  const skip = new Set(base.folded);
  const total = base.counters;
  for (const n of names) {
    if (skip.has(n)) continue;
    addCounters(total, (await readJson(join(statsDir, n))) as Partial<StatCounters> | null);
  }
  return total;
}

/** This process's counters: kept in memory, flushed as delta files. */
export class CacheStats {
  private pending = emptyCounters();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  private seq = 0;
  /** Work that will still count things (the compile cache stores entries after it has
   *  answered): reads and flushes wait for it, so they see what a compile led to. */
  private readonly inFlight = new Set<Promise<void>>();

  /** Registers background work whose counts reads and flushes must include. It must not reject. */
  track(work: Promise<void>): void {
    this.inFlight.add(work);
    const done = () => void this.inFlight.delete(work);
    work.then(done, done);
  }

  /** Resolves once the work tracked so far is done (work tracked later is not waited
   *  for: it belongs to compiles that finished after this call). */
  async settled(): Promise<void> {
    if (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  constructor(
    readonly statsDir: string,
    private readonly flushDelayMs = 1000,
    /** Checked before each write: counters wait in memory while the directory is refused. */
    private readonly writable: () => boolean = () => true,
  ) {}

  hit(kind: 'direct' | 'preprocessed', ms: number): void {
    if (kind === 'direct') this.pending.direct_hits++;
    else this.pending.preprocessed_hits++;
    this.pending.hit_ms_total += ms;
    this.changed();
  }

  miss(ms: number): void {
    this.pending.misses++;
    this.pending.miss_ms_total += ms;
    this.changed();
  }

  uncacheable(reason: string): void {
    this.pending.uncacheable[reason] = (this.pending.uncacheable[reason] ?? 0) + 1;
    this.changed();
  }

  notStored(reason: string): void {
    this.pending.not_stored[reason] = (this.pending.not_stored[reason] ?? 0) + 1;
    this.changed();
  }

  compileFailed(): void {
    this.pending.compile_failed++;
    this.changed();
  }

  error(): void {
    this.pending.errors++;
    this.changed();
  }

  evicted(n: number): void {
    if (n <= 0) return;
    this.pending.evictions += n;
    this.changed();
  }

  link(hit: boolean): void {
    if (hit) this.pending.link_hits++;
    else this.pending.link_misses++;
    this.changed();
  }

  /** One compile sent to a distcc host, and whether the host (not the source) failed it. */
  distcc(host: string, ok: boolean, ms: number): void {
    const c = (this.pending.distcc[host] ??= { jobs: 0, failures: 0, ok_ms_total: 0 });
    c.jobs++;
    if (ok) c.ok_ms_total += ms;
    else c.failures++;
    this.changed();
  }

  /** This process's remote counts since it started (for `status`); pending is flushed away. */
  readonly remoteSession = { ...REMOTE_ZERO };

  /** The remote tier's counts (tiers/redis.ts and TieredStore report them). */
  remote(what: 'hit' | 'miss' | 'error' | 'skipped', bytes = 0): void {
    this.countRemote(this.remoteSession, what, bytes);
    this.countRemote(this.pending, what, bytes);
    this.changed();
  }

  private countRemote(p: typeof REMOTE_ZERO, what: 'hit' | 'miss' | 'error' | 'skipped', bytes: number): void {
    if (what === 'hit') {
      p.remote_hits++;
      p.remote_bytes_read += bytes;
    } else if (what === 'miss') p.remote_misses++;
    else if (what === 'error') p.remote_errors++;
    else p.remote_skipped++;
  }

  remoteWrote(bytes: number): void {
    this.remoteSession.remote_bytes_written += bytes;
    this.pending.remote_bytes_written += bytes;
    this.changed();
  }

  remoteCall(ms: number): void {
    for (const p of [this.remoteSession, this.pending]) {
      p.remote_calls++;
      p.remote_ms_total += ms;
    }
    this.changed();
  }

  /** Counters not yet flushed. */
  unflushed(): StatCounters {
    return addCounters(emptyCounters(), this.pending);
  }

  /** All processes' flushed counters plus this one's unflushed ones. */
  async read(): Promise<StatCounters> {
    await this.settled();
    return addCounters(await readCounters(this.statsDir), this.pending);
  }

  private changed(): void {
    if (this.timer || this.flushDelayMs < 0) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      // The timer does not wait for tracked work: what it adds goes with the next flush.
      void this.flushNow().catch(() => undefined);
    }, this.flushDelayMs);
    this.timer.unref();
  }

  /** Writes what is pending as a new delta file; folds when deltas pile up. */
  async flush(): Promise<void> {
    await this.settled();
    return this.flushNow();
  }

  private flushNow(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = this.flushing.then(async () => {
      if (isEmpty(this.pending) || !this.writable()) return;
      const delta = this.pending;
      this.pending = emptyCounters();
      const name = `${DELTA_PREFIX}${Date.now()}-${process.pid}-${this.seq++}-${randomBytes(3).toString('hex')}.json`;
      try {
        await mkdir(this.statsDir, { recursive: true, mode: 0o700 });
        await writeAtomic(join(this.statsDir, name), JSON.stringify(delta));
      } catch (e) {
        addCounters(this.pending, delta); // try again at the next flush
        throw e;
      }
      if ((await deltaNames(this.statsDir)).length >= FOLD_AT) await foldDeltas(this.statsDir);
    });
    return this.flushing;
  }
}

async function takeLock(dir: string): Promise<boolean> {
  const lock = join(dir, LOCK_DIR);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await mkdir(lock);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A holder that died leaves the lock behind; past this age it is not working any more.
      const st = await stat(lock).catch(() => null);
      if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) await rm(lock, { recursive: true, force: true });
      else return false;
    }
  }
  return false;
}

/** Folds every delta file into stats.json. Skips (returns false) when another process holds the lock. */
export async function foldDeltas(statsDir: string): Promise<boolean> {
  if (!(await takeLock(statsDir))) return false;
  try {
    const base = await readStatsFile(statsDir);
    const previouslyFolded = new Set(base.folded);
    const names = await deltaNames(statsDir);
    const now: string[] = [];
    for (const n of names) {
      if (previouslyFolded.has(n)) continue;
      const j = (await readJson(join(statsDir, n))) as Partial<StatCounters> | null;
      addCounters(base.counters, j);
      now.push(n);
    }
    const next: StatsFile = { version: 1, counters: base.counters, folded: now };
    await writeAtomic(join(statsDir, STATS_FILE), JSON.stringify(next));
    await Promise.all([...now, ...previouslyFolded].map((n) => rm(join(statsDir, n), { force: true })));
    return true;
  } finally {
    await rm(join(statsDir, LOCK_DIR), { recursive: true, force: true });
  }
}

/** Sets every counter to zero (`replibuild cache stats --zero`, say). */
export async function zeroCounters(statsDir: string): Promise<void> {
  if (!(await takeLock(statsDir))) throw new Error(`cache statistics in ${statsDir} are being updated; try again`);
  try {
    const names = await deltaNames(statsDir);
    await writeAtomic(join(statsDir, STATS_FILE), JSON.stringify({ version: 1, counters: emptyCounters(), folded: names }));
    await Promise.all(names.map((n) => rm(join(statsDir, n), { force: true })));
  } finally {
    await rm(join(statsDir, LOCK_DIR), { recursive: true, force: true });
  }
}

// ------------------------------------------------------------ the report

/** What `replibuild cache stats --json` prints. */
export interface CacheStatsReport {
  cache_dir: string;
  hits: number;
  direct_hits: number;
  preprocessed_hits: number;
  misses: number;
  /** hits / (hits + misses); uncacheable compiles are not lookups and do not count. */
  hit_rate: number;
  uncacheable: number;
  uncacheable_reasons: Record<string, number>;
  not_stored: Record<string, number>;
  compile_failed: number;
  errors: number;
  evictions: number;
  size_bytes: number;
  max_size_bytes: number;
  /** Stored compile and link results (manifests not counted). */
  entries: number;
  mean_hit_ms: number;
  mean_miss_ms: number;
  link_hits: number;
  link_misses: number;
  /** The shared remote tier, per entry; all zero when none is configured. */
  remote: RemoteReport;
  /** Per distcc host: compiles sent, failures, mean time of the others. */
  distcc: { host: string; jobs: number; failures: number; mean_ms: number }[];
}

export interface RemoteReport {
  hits: number;
  misses: number;
  errors: number;
  skipped: number;
  bytes_read: number;
  bytes_written: number;
  mean_latency_ms: number;
}

/** The remote counts as `cache stats --json` and `status` show them. */
export function remoteReport(c: typeof REMOTE_ZERO): RemoteReport {
  return {
    hits: c.remote_hits,
    misses: c.remote_misses,
    errors: c.remote_errors,
    skipped: c.remote_skipped,
    bytes_read: c.remote_bytes_read,
    bytes_written: c.remote_bytes_written,
    mean_latency_ms: c.remote_calls === 0 ? 0 : Math.round((c.remote_ms_total / c.remote_calls) * 100) / 100,
  };
}

export function buildReport(
  c: StatCounters,
  usage: { size_bytes: number; entries: number },
  cacheDir: string,
  maxSizeBytes: number,
): CacheStatsReport {
  const hits = c.direct_hits + c.preprocessed_hits;
  const uncacheable = Object.values(c.uncacheable).reduce((a, b) => a + b, 0);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    cache_dir: cacheDir,
    hits,
    direct_hits: c.direct_hits,
    preprocessed_hits: c.preprocessed_hits,
    misses: c.misses,
    hit_rate: hits + c.misses === 0 ? 0 : round(hits / (hits + c.misses)),
    uncacheable,
    uncacheable_reasons: { ...c.uncacheable },
    not_stored: { ...c.not_stored },
    compile_failed: c.compile_failed,
    errors: c.errors,
    evictions: c.evictions,
    size_bytes: usage.size_bytes,
    max_size_bytes: maxSizeBytes,
    entries: usage.entries,
    mean_hit_ms: hits === 0 ? 0 : round(c.hit_ms_total / hits),
    mean_miss_ms: c.misses === 0 ? 0 : round(c.miss_ms_total / c.misses),
    link_hits: c.link_hits,
    link_misses: c.link_misses,
    remote: remoteReport(c),
    distcc: Object.entries(c.distcc).map(([host, d]) => ({ host, jobs: d.jobs, failures: d.failures, mean_ms: d.jobs > d.failures ? round(d.ok_ms_total / (d.jobs - d.failures)) : 0 })),
  };
}
