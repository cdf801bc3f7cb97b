// The daemons' memory as issue 16 judges it: RSS idle after a build (read once the
// daemons' idle collection has had time to run) and the build's peak (each daemon's
// VmHWM, the kernel's high-water mark of its RSS; their sum bounds the peak of the
// total from above, so a met peak target is met for real).
import { readFileSync } from 'node:fs';
import { daemonsRss, statusJson } from './replibuild.mjs';

/** Longer than daemons/host/idle-gc.ts's two quiet times (2 s, then 5.5 s: the second
 *  collection is the one that gives back the young generation) plus the collections. */
const IDLE_WAIT_MS = 9000;

function vmHwmBytes(pid) {
  try {
    const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmHWM:\s*(\d+)\s*kB/m);
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** {total, each, peak_total, peak_each, ...} of the project's daemons, or null. */
export async function daemonsMemory(cli, dir, env) {
  await new Promise((r) => setTimeout(r, IDLE_WAIT_MS));
  const rss = daemonsRss(cli, dir, env);
  if (!rss) return null;
  const st = statusJson(cli, dir, env);
  const peakEach = {};
  let peakTotal = 0;
  for (const d of st?.daemons ?? []) {
    // The compilation daemon's spawn helper is part of its cost (its RSS is in the daemon's).
    const hwm = d.pid ? (vmHwmBytes(d.pid) ?? 0) + (d.spawn_helper_pid ? (vmHwmBytes(d.spawn_helper_pid) ?? 0) : 0) || null : null;
    peakEach[d.name] = hwm;
    peakTotal += hwm ?? 0;
  }
  return { ...rss, peak_total: peakTotal || null, peak_each: peakEach };
}
