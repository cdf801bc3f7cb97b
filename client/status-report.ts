// Gathering `replibuild status`: each daemon's state from its record, its
// process from /proc, and its own figures over RPC; the machine's load.
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { projectPaths } from '../daemons/host/paths.js';
import { isOurDaemon, readRecord } from '../daemons/host/pidfiles.js';
import { isAlive, machineCpuTimes, memAvailableBytes, procCpuSeconds, procRssBytes } from '../fs/proc.js';
import { DAEMON_NAMES, type DaemonName } from '../config/daemon-names.js';
import type { DaemonConfig } from '../config/types.js';
import { commonTable } from '../protocol/methods.js';
import type { DaemonStatusRow, StatusReport } from '../protocol/status.js';
import { proxy } from '../rpc/methods.js';
import { connectDaemon } from '../daemons/host/daemon-link.js';

const CPU_SAMPLE_MS = 200;

async function rowFor(root: string, name: DaemonName, config: DaemonConfig): Promise<DaemonStatusRow> {
  const paths = projectPaths(root);
  const row: DaemonStatusRow = {
    name,
    state: 'stopped',
    pid: null,
    port: null,
    uptime_s: null,
    rss_bytes: null,
    heap_used_bytes: null,
    heap_total_bytes: null,
    cpu_percent: null,
    version: null,
    requests_served: null,
    details: {},
  };
  const rec = readRecord(paths, name);
  if (!config.enabled[name]) {
    row.state = 'disabled';
    if (!rec) return row;
  }
  if (!rec) return row;
  row.pid = rec.pid;
  row.port = rec.port || null;
  if (!isOurDaemon(rec)) {
    row.state = 'stale';
    row.message = isAlive(rec.pid) ? `pid ${rec.pid} now belongs to another program` : `pid ${rec.pid} is dead`;
    return row;
  }
  row.rss_bytes = procRssBytes(rec.pid);
  try {
    const link = await connectDaemon(root, name, { timeoutMs: 2000, allowVersionMismatch: true });
    try {
      const s = await proxy(commonTable, link.conn).status({}, { timeoutMs: 3000 });
      row.state = 'running';
      row.uptime_s = s.uptime_s;
      row.version = s.version;
      row.requests_served = s.requests_served;
      // The daemon's own reading, taken with its heap's; /proc's stays when it has none.
      row.rss_bytes = s.memory?.rss_bytes ?? row.rss_bytes;
      row.heap_used_bytes = s.memory?.heap_used_bytes ?? null;
      row.heap_total_bytes = s.memory?.heap_total_bytes ?? null;
      if (s.memory?.spawn_helper_pid !== undefined) row.spawn_helper_pid = s.memory.spawn_helper_pid;
      row.details = s.details;
    } finally {
      link.conn.close();
    }
  } catch (e) {
    row.state = 'unresponsive';
    row.message = (e as Error).message;
  }
  return row;
}

export async function gatherStatus(root: string, config: DaemonConfig): Promise<StatusReport> {
  const cpu0 = machineCpuTimes();
  const t0 = Date.now();
  const rows = await Promise.all(DAEMON_NAMES.map((n) => rowFor(root, n, config)));
  // CPU% needs two readings; the RPC round above already took part of the interval.
  const before = rows.map((r) => (r.pid !== null && r.state !== 'stale' ? procCpuSeconds(r.pid) : null));
  const elapsed = Date.now() - t0;
  if (elapsed < CPU_SAMPLE_MS) await new Promise((r) => setTimeout(r, CPU_SAMPLE_MS - elapsed));
  const t1 = Date.now();
  await new Promise((r) => setTimeout(r, CPU_SAMPLE_MS));
  rows.forEach((r, i) => {
    const b = before[i];
    const a = r.pid !== null ? procCpuSeconds(r.pid) : null;
    if (b !== null && a !== null) r.cpu_percent = Math.round(((a - b) / ((Date.now() - t1) / 1000)) * 1000) / 10;
  });
  const cpu1 = machineCpuTimes();
  const cpuPercent = cpu0 && cpu1 && cpu1.total > cpu0.total ? Math.round(((cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total)) * 1000) / 10 : 0;
  return {
    project: root,
    daemons: rows,
    machine: {
      cpus: availableParallelism(),
      cpu_percent: cpuPercent,
      load_avg: loadavg().map((x) => Math.round(x * 100) / 100),
      mem_total_bytes: totalmem(),
      mem_available_bytes: memAvailableBytes() ?? 0,
    },
    all_running: rows.every((r) => r.state === 'running' || r.state === 'disabled'),
  };
}
