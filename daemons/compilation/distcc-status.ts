// The distcc hosts in `status`: `distcc` one line for people, `distcc_hosts` every
// figure for --json. Nothing when no host list is configured.
import type { HostFigures } from '../../toolchain/distcc/host-pool.js';
import type { DistccSettings } from './service.js';

/** "12:04:31 UTC": when a set-aside host gets work again. */
function clock(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}

function hostLine(h: HostFigures): string {
  const state = h.excluded !== null ? `not used: ${h.excluded}` : h.set_aside_until !== null ? `set aside until ${clock(h.set_aside_until)}${h.last_error ? ` (${h.last_error})` : ''}` : `up, ${h.running}/${h.limit} running`;
  return `${h.name} ${state}, jobs ${h.jobs}, failures ${h.failures}, mean ${h.mean_ms === null ? '-' : `${h.mean_ms} ms`}`;
}

export function distccDetails(settings: DistccSettings | undefined, figures: HostFigures[]): Record<string, unknown> {
  if (!settings) return {};
  if (settings.problem) return { distcc: `not used: ${settings.problem}; compiling locally`, distcc_hosts: [] };
  if (!figures.length) return {};
  return {
    distcc: `${figures.map(hostLine).join('; ')} (from ${settings.from})`,
    distcc_hosts: figures,
  };
}
