// `replibuild cache stats|clear|dir|verify|cleanup`: the compile cache, shared by
// every project of the user. Works with or without daemons.
import { existsSync } from 'node:fs';
import { DEFAULT_DAEMON_CONFIG, loadDaemonConfig } from '../../config/daemon-config.js';
import { ConfigError } from '../../config/errors.js';
import { findProjectRoot } from '../../config/project-root.js';
import type { DaemonConfig } from '../../config/types.js';
import { UserError } from '../../daemons/common/user-error.js';

export interface CacheArgs {
  action: 'stats' | 'clear' | 'dir' | 'verify' | 'cleanup';
  dir?: string;
  json?: boolean;
  /** With `stats`: set every counter to zero (ccache -z). */
  zero?: boolean;
}

/** The cache settings of the project we are in, else the defaults. */
function settings(dir: string | undefined): DaemonConfig['compilation'] {
  const root = findProjectRoot(dir ?? process.cwd());
  if (!root) return DEFAULT_DAEMON_CONFIG.compilation;
  try {
    return loadDaemonConfig(root).compilation;
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, 2);
    throw e;
  }
}

/** The daemons write their counters every second (compiles in the compilation
 *  daemon, links in the orchestrator); ask them for them now. */
async function flushDaemonCounts(dir: string | undefined): Promise<void> {
  const root = findProjectRoot(dir ?? process.cwd());
  if (!root) return;
  const [{ tryConnectDaemon }, { compilationTable, orchestratorTable }, { proxy }] = await Promise.all([
    import('../../daemons/host/daemon-link.js'),
    import('../../protocol/methods.js'),
    import('../../rpc/methods.js'),
  ]);
  const flush = async (name: 'compilation' | 'orchestrator') => {
    const link = await tryConnectDaemon(root, name, 1000).catch(() => null);
    if (!link) return;
    try {
      const table = name === 'compilation' ? compilationTable : orchestratorTable;
      await proxy(table, link.conn).flush_cache_stats({}, { timeoutMs: 3000 });
    } catch {
      /* an older daemon, or busy: the figures are at most a second behind */
    } finally {
      link.conn.close();
    }
  };
  await Promise.all([flush('compilation'), flush('orchestrator')]);
}

const mb = (b: number) => `${(b / 1048576).toFixed(1)} MB`;

export async function run(args: CacheArgs): Promise<number> {
  const cache = await import('../../cache/index.js');
  const root = cache.defaultCacheDir();
  const cfg = settings(args.dir);
  switch (args.action) {
    case 'dir':
      console.log(root);
      return 0;
    case 'stats': {
      await flushDaemonCounts(args.dir);
      if (args.zero) {
        // After the flush: a running daemon's counts so far are on disk, so they are zeroed too.
        if (existsSync(root)) await cache.zeroCounters((await cache.ensureCacheDir(root)).stats);
        if (args.json) console.log(JSON.stringify({ zeroed: true, cache_dir: root }));
        else console.log(`cache statistics zeroed (${root})`);
        return 0;
      }
      const r = existsSync(root)
        ? await cache.readCacheStats(root, cfg.max_cache_size * 1048576)
        : cache.buildReport(cache.emptyCounters(), { size_bytes: 0, entries: 0 }, root, cfg.max_cache_size * 1048576);
      if (args.json) {
        console.log(JSON.stringify(r));
        return 0;
      }
      const reasons = Object.entries(r.uncacheable_reasons).map(([k, v]) => `${k}: ${v}`).join(', ');
      const lines = [
        ['cache directory', r.cache_dir],
        ['hits', `${r.hits} (direct ${r.direct_hits}, preprocessed ${r.preprocessed_hits})`],
        ['misses', String(r.misses)],
        ['hit rate', `${(r.hit_rate * 100).toFixed(1)}%`],
        ['uncacheable', `${r.uncacheable}${reasons ? ` (${reasons})` : ''}`],
        ['link hits / misses', `${r.link_hits} / ${r.link_misses}`],
        ['errors', String(r.errors)],
        ['evictions', String(r.evictions)],
        ['entries', String(r.entries)],
        ['size', `${mb(r.size_bytes)} of ${mb(r.max_size_bytes)}`],
        ['mean hit / miss', `${r.mean_hit_ms} ms / ${r.mean_miss_ms} ms`],
      ];
      const x = r.remote;
      if (x.hits + x.misses + x.errors + x.skipped + x.bytes_written > 0) {
        // Per entry (manifests, results, links) asked of the shared tier after a local miss.
        lines.push(
          ['remote hits / misses', `${x.hits} / ${x.misses}`],
          ['remote errors', `${x.errors}${x.skipped ? ` (${x.skipped} calls skipped, circuit open)` : ''}`],
          ['remote read / written', `${mb(x.bytes_read)} / ${mb(x.bytes_written)}`],
          ['remote mean latency', `${x.mean_latency_ms} ms`],
        );
      }
      for (const d of r.distcc) lines.push([`distcc ${d.host}`, `jobs ${d.jobs}, failures ${d.failures}, mean ${d.mean_ms} ms`]);
      for (const [k, v] of lines) console.log(`${k.padEnd(20)}${v}`);
      return 0;
    }
    case 'clear':
      if (existsSync(root)) await cache.clear(root);
      console.log(`cleared ${root}`);
      return 0;
    case 'verify': {
      if (!existsSync(root)) {
        console.log(`nothing to verify: ${root} does not exist`);
        return 0;
      }
      const layout = await cache.ensureCacheDir(root);
      const stats = new cache.CacheStats(layout.stats, -1);
      const r = await cache.verify(root, stats);
      await stats.flush();
      for (const p of r.problems) console.log(`removed ${p}`);
      console.log(`checked ${r.checked} entries, removed ${r.removed} bad ones`);
      return 0;
    }
    case 'cleanup': {
      if (!existsSync(root)) {
        console.log(`nothing to clean: ${root} does not exist`);
        return 0;
      }
      const layout = await cache.ensureCacheDir(root);
      const stats = new cache.CacheStats(layout.stats, -1);
      const r = await cache.cleanupWithConfig(root, cfg, stats);
      await stats.flush();
      console.log(`evicted ${r.evicted} entries (${mb(r.evicted_bytes)}); ${r.entries} entries, ${mb(r.size_bytes)} remain (max ${cfg.max_cache_size} MB, ttl ${cfg.cache_ttl} s)`);
      return 0;
    }
  }
}
