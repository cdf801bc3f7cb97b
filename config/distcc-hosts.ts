// The distcc hosts a build may send compiles to: `[daemons.compilation] distcc_hosts`,
// in distcc's own host-list syntax (distcc(1), "HOST SPECIFICATIONS"), or, when the
// key is absent, DISTCC_HOSTS of the environment `replibuild start` ran in.
//
// Only TCP hosts are used: replibuild picks one host per job itself (to count, retry
// and set hosts aside), so entries that only make sense to distcc's own scheduler
// (localhost, --localslots, --randomize) are accepted and left out, and the ones it
// cannot honour (ssh, pump mode, zeroconf) are refused with what to write instead.

export const DISTCC_HOSTS_ENV = 'DISTCC_HOSTS';
export const DISTCC_DEFAULT_PORT = 3632;
/** distcc's own default when a TCP host names no /LIMIT. */
export const DISTCC_DEFAULT_LIMIT = 4;

export interface DistccHost {
  /** How status, logs and the per-TU lines name it: "10.0.0.2", or "10.0.0.2:3633". */
  name: string;
  host: string;
  port: number;
  /** Compiles sent to it at once. */
  limit: number;
  /** The one-host DISTCC_HOSTS value that makes distcc use exactly this host. */
  spec: string;
}

export class DistccHostsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DistccHostsError';
  }
}

const LOCAL_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);
// Options distcc understands and that change nothing about where a job runs.
const PASSED_OPTIONS = new Set(['lzo']);

function parseLimit(text: string, token: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 1000) {
    throw new DistccHostsError(`"${token}": the limit after "/" must be a whole number from 1 to 1000, not "${text}"`);
  }
  return Number(text);
}

function parsePort(text: string, token: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new DistccHostsError(`"${token}": the port after ":" must be a number from 1 to 65535, not "${text}"`);
  }
  return Number(text);
}

/** One TCP host: HOST[:PORT][/LIMIT][,OPTIONS] or distcc's older HOST[/LIMIT][:PORT][,OPTIONS]. */
function parseTcpHost(token: string): DistccHost | 'local' {
  const [main = '', ...options] = token.split(',');
  for (const o of options) {
    if (o === 'cpp') throw new DistccHostsError(`"${token}": pump mode (",cpp") is not supported; drop ",cpp" (replibuild runs distcc in plain mode: preprocessing stays on this machine)`);
    if (!PASSED_OPTIONS.has(o)) throw new DistccHostsError(`"${token}": unknown option ",${o}"; distcc knows ",lzo" (and ",cpp" for pump mode, which replibuild does not use)`);
  }
  let rest = main;
  let host: string;
  if (rest.startsWith('[')) {
    const end = rest.indexOf(']');
    if (end < 0) throw new DistccHostsError(`"${token}": an IPv6 address needs its closing "]"`);
    host = rest.slice(0, end + 1);
    rest = rest.slice(end + 1);
  } else {
    const m = /^[^:/]*/.exec(rest)!;
    host = m[0];
    rest = rest.slice(host.length);
  }
  if (host === '' || !/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)$/.test(host)) {
    throw new DistccHostsError(`"${token}" does not start with a host name or address; write HOST[:PORT][/LIMIT]`);
  }
  let port = DISTCC_DEFAULT_PORT;
  let limit: number | null = null;
  const m = /^(?::(\d*))?(?:\/(\d*))?(?::(\d*))?$/.exec(rest);
  if (!m || (m[1] !== undefined && m[3] !== undefined)) {
    throw new DistccHostsError(`"${token}" is not HOST[:PORT][/LIMIT][,lzo]`);
  }
  if (m[1] !== undefined) port = parsePort(m[1], token);
  if (m[3] !== undefined) port = parsePort(m[3], token);
  if (m[2] !== undefined) limit = parseLimit(m[2], token);
  if (LOCAL_NAMES.has(host)) return 'local';
  const lim = limit ?? DISTCC_DEFAULT_LIMIT;
  const name = port === DISTCC_DEFAULT_PORT ? host : `${host}:${port}`;
  return { name, host, port, limit: lim, spec: `${host}:${port}/${lim}${options.map((o) => `,${o}`).join('')}` };
}

/**
 * The remote hosts of a distcc host list, in its order (the order is the preference).
 * Throws DistccHostsError naming the entry and what to write.
 */
export function parseDistccHosts(text: string): DistccHost[] {
  const hosts: DistccHost[] = [];
  const seen = new Set<string>();
  // distcc allows comments in its hosts file; the same text may be pasted here.
  const tokens = text.split('\n').map((l) => l.replace(/#.*/, '')).join(' ').split(/\s+/).filter(Boolean);
  for (const token of tokens) {
    if (token === '--randomize' || /^--localslots(_cpp)?=\d+$/.test(token)) continue;
    if (token.startsWith('--')) throw new DistccHostsError(`"${token}" is not a distcc host-list option (distcc knows --randomize, --localslots=N, --localslots_cpp=N)`);
    if (token.startsWith('+')) throw new DistccHostsError(`"${token}": zeroconf discovery is not supported; list the hosts as HOST[:PORT][/LIMIT]`);
    if (token.includes('@')) throw new DistccHostsError(`"${token}": ssh hosts are not supported; run distccd on that machine and list it as HOST[:PORT][/LIMIT]`);
    const h = parseTcpHost(token);
    if (h === 'local') continue; // this machine: its compiles use parallel_jobs
    if (seen.has(h.name)) throw new DistccHostsError(`"${token}": ${h.name} is listed twice; list each host once, with its /LIMIT`);
    seen.add(h.name);
    hosts.push(h);
  }
  return hosts;
}

/** Where the host list comes from: the config key when it is set, else DISTCC_HOSTS of
 *  `env`; null when neither names one. ("localhost" names one with no remote host.) */
export function distccHostsSource(
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): { text: string; from: string } | null {
  if (key.trim() !== '') return { text: key, from: 'distcc_hosts' };
  const v = env[DISTCC_HOSTS_ENV];
  return v !== undefined && v.trim() !== '' ? { text: v, from: DISTCC_HOSTS_ENV } : null;
}
