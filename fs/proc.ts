// Facts about processes from /proc: identity (start time), liveness, RSS, CPU.
// Linux only, as the daemons are; every reader returns null when /proc says nothing.
import { readFileSync } from 'node:fs';

const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) is 100 on every Linux we run on.

function statFields(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may hold spaces and parens: split after its last ')'.
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return ['', '', '', ...rest]; // index n = field n of proc(5): rest starts at field 3
  } catch {
    return null;
  }
}

/** Kernel start time of a process in clock ticks since boot (stat field 22). */
export function procStartTime(pid: number): number | null {
  const f = statFields(pid);
  return f ? Number(f[22]) : null;
}

export function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  const f = statFields(pid);
  return f === null || f[3] !== 'Z'; // a zombie has exited
}

/** True when `pid` is alive and is still the process that had `startTime`. */
export function isSameProcess(pid: number, startTime: number | null): boolean {
  if (!isAlive(pid)) return false;
  if (startTime === null) return true;
  return procStartTime(pid) === startTime;
}

export function procCmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

export function procRssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** User+system CPU seconds a process has used. */
export function procCpuSeconds(pid: number): number | null {
  const f = statFields(pid);
  return f ? (Number(f[14]) + Number(f[15])) / CLK_TCK : null;
}

/** Machine-wide busy and total jiffies from /proc/stat, for a CPU% over an interval. */
export function machineCpuTimes(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = v[3] + (v[4] || 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

export function memAvailableBytes(): number | null {
  try {
    const m = /MemAvailable:\s+(\d+)\s+kB/.exec(readFileSync('/proc/meminfo', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
