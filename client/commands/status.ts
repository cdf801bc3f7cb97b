import type { DaemonStatusRow, StatusReport } from '../../protocol/status.js';
import { readDaemonConfig } from '../daemon-settings.js';
import { resolveProject } from '../project.js';
import { gatherStatus } from '../status-report.js';

export interface StatusArgs {
  dir?: string;
  json?: boolean;
}

const mb = (b: number | null) => (b === null ? '-' : `${(b / 1048576).toFixed(1)} MB`);

/** V8's heap, used/total: what the daemon's JavaScript holds, within the RSS. */
function heap(r: DaemonStatusRow): string {
  if (r.heap_used_bytes === null || r.heap_total_bytes === null) return '-';
  return `${(r.heap_used_bytes / 1048576).toFixed(1)}/${mb(r.heap_total_bytes)}`;
}

function formatUptime(s: number | null): string {
  if (s === null) return '-';
  if (s < 60) return `${Math.round(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.round(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}

/** The figures a person reads at a glance; --json has all of them. */
const SHOWN: Record<string, string[]> = {
  setup: ['targets', 'config_ok', 'last_error'],
  discovery: ['scanning', 'watched_files', 'epoch', 'polling', 'degraded'],
  compilation: ['parallel_jobs', 'compile_slots', 'jobs_running', 'jobs_queued', 'cache_hits', 'cache_misses', 'cache_hit_rate', 'remote_cache', 'distcc'],
  orchestrator: ['building', 'progress_percent', 'progress_message', 'queue_depth', 'builds', 'last_build', 'precompiled_headers'],
};

/** The daemon's own figures, one short phrase each. */
function formatDetails(name: string, d: Record<string, unknown>): string {
  return (SHOWN[name] ?? Object.keys(d))
    .filter((k) => d[k] !== null && d[k] !== undefined && d[k] !== false && typeof d[k] !== 'object')
    .map((k) => `${k}=${d[k]}`)
    .join(' ');
}

function formatRow(r: DaemonStatusRow): string {
  const cols = [
    r.name.padEnd(13),
    r.state.padEnd(13),
    `pid ${r.pid ?? '-'}`.padEnd(11),
    `port ${r.port ?? '-'}`.padEnd(12),
    `up ${formatUptime(r.uptime_s)}`.padEnd(10),
    `rss ${mb(r.rss_bytes)}`.padEnd(14),
    `heap ${heap(r)}`.padEnd(22),
    `cpu ${r.cpu_percent === null ? '-' : `${r.cpu_percent}%`}`.padEnd(10),
    r.requests_served === null ? '' : `requests=${r.requests_served} `,
  ];
  const extra = r.message ?? formatDetails(r.name, r.details);
  return (cols.join('') + extra).trimEnd();
}

export function formatStatus(rep: StatusReport): string {
  const m = rep.machine;
  const lines = [`project ${rep.project}`, ...rep.daemons.map(formatRow)];
  lines.push(
    `machine      ${m.cpus} cpus  cpu ${m.cpu_percent}%  load ${m.load_avg.join(' ')}  ` +
      `mem ${mb(m.mem_total_bytes - m.mem_available_bytes)} used of ${mb(m.mem_total_bytes)}`,
  );
  return lines.join('\n');
}

export async function run(args: StatusArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const report = await gatherStatus(root, readDaemonConfig(root));
  console.log(args.json ? JSON.stringify(report) : formatStatus(report));
  return report.all_running ? 0 : 3;
}
