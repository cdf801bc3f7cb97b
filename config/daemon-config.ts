import { join, resolve } from 'node:path';
import type { TomlTable } from 'smol-toml';
import { DAEMON_NAMES, type DaemonName } from './daemon-names.js';
import type { DaemonConfig } from './types.js';
import { compileGlob, GlobSyntaxError } from './glob.js';
import { DistccHostsError, parseDistccHosts } from './distcc-hosts.js';
import { DEFAULT_REMOTE_TIMEOUT_MS, REMOTE_CACHE_MODES, remoteUrlProblem, type RemoteCacheMode } from './remote-cache.js';
import { locateKey } from './toml-locate.js';
import { readTomlFile, parseToml } from './toml-source.js';
import { formatKeyPath, isTable, IssueCollector, TableReader } from './validate.js';

/** `<root>/.replibuild/daemon_config.toml`. */
export function daemonConfigPath(root: string): string {
  return join(resolve(root), '.replibuild', 'daemon_config.toml');
}

export const DEFAULT_PORTS: Record<DaemonName, number> = {
  discovery: 9001,
  setup: 9002,
  compilation: 9003,
  orchestrator: 9004,
};

/** Fresh, mutable defaults: what a project without daemon_config.toml runs with. */
export function defaultDaemonConfig(): DaemonConfig {
  return {
    enabled: { setup: true, discovery: true, compilation: true, orchestrator: true },
    ports: { ...DEFAULT_PORTS },
    discovery: { watch_interval: 1000, ignored_patterns: ['*.tmp', '*.swp'], use_polling: false },
    compilation: { max_cache_size: 1024, cache_ttl: 86400, parallel_jobs: 0, remote_cache: '', remote_cache_mode: 'read-write', remote_cache_timeout_ms: DEFAULT_REMOTE_TIMEOUT_MS, distcc_hosts: '' },
    orchestrator: { queue_size: 100, timeout: 300, compile_ahead: true },
  };
}

/** The defaults, frozen: a caller that mutates them would change every later load. */
export const DEFAULT_DAEMON_CONFIG: DaemonConfig = deepFreeze(defaultDaemonConfig());

/** Keys of each `[daemons.NAME]` table. */
const SECTION_KEYS: Record<DaemonName, readonly string[]> = {
  setup: ['port'],
  discovery: ['port', 'watch_interval', 'ignored_patterns', 'use_polling'],
  compilation: ['port', 'max_cache_size', 'cache_ttl', 'parallel_jobs', 'remote_cache', 'remote_cache_mode', 'remote_cache_timeout_ms', 'distcc_hosts'],
  orchestrator: ['port', 'queue_size', 'timeout', 'compile_ahead'],
};

const DAEMONS_KEYS: readonly string[] = [...DAEMON_NAMES.map((n) => `enable_${n}`), ...DAEMON_NAMES];

/**
 * Loads `<root>/.replibuild/daemon_config.toml`; a missing file means all defaults.
 * Throws one ConfigError listing every problem in the file.
 */
export function loadDaemonConfig(projectRoot: string): DaemonConfig {
  const source = readTomlFile(daemonConfigPath(projectRoot));
  if (!source) return defaultDaemonConfig();
  return validateDaemonConfig(source.data, source.text, source.file);
}

/** Parses and validates daemon_config.toml text, e.g. from an editor buffer; `file` is for messages. */
export function parseDaemonConfig(text: string, file: string): DaemonConfig {
  return validateDaemonConfig(parseToml(text, file), text, file);
}

function validateDaemonConfig(data: TomlTable, text: string, file: string): DaemonConfig {
  const issues = new IssueCollector(file, text);
  const config = defaultDaemonConfig();
  const top = new TableReader(issues, data, []);
  top.rejectUnknown(['daemons']);
  const daemons = top.table('daemons');
  if (daemons) {
    daemons.rejectUnknown(DAEMONS_KEYS);
    for (const name of DAEMON_NAMES) {
      config.enabled[name] = daemons.bool(`enable_${name}`) ?? config.enabled[name];
      const section = daemons.table(name);
      if (!section) continue;
      section.rejectUnknown(SECTION_KEYS[name]);
      config.ports[name] = section.int('port', { min: 0, max: 65535 }) ?? config.ports[name];
      readSection(name, section, config);
    }
  }
  checkPortClashes(config, data, text, issues);
  issues.throwIfAny();
  return config;
}

function readSection(name: DaemonName, t: TableReader, config: DaemonConfig): void {
  switch (name) {
    case 'discovery': {
      const d = config.discovery;
      d.watch_interval = t.int('watch_interval', { min: 10, unit: 'ms' }) ?? d.watch_interval;
      d.use_polling = t.bool('use_polling') ?? d.use_polling;
      const patterns = t.stringArray('ignored_patterns', { nonEmptyItems: true, check: globProblem });
      if (patterns) d.ignored_patterns = [...patterns];
      return;
    }
    case 'compilation': {
      const c = config.compilation;
      c.max_cache_size = t.int('max_cache_size', { min: 1, unit: 'MB' }) ?? c.max_cache_size;
      c.cache_ttl = t.int('cache_ttl', { min: 0, unit: 's' }) ?? c.cache_ttl;
      c.parallel_jobs = t.int('parallel_jobs', { min: 0 }) ?? c.parallel_jobs;
      readRemoteCache(t, c);
      readDistccHosts(t, c);
      return;
    }
    case 'orchestrator': {
      const o = config.orchestrator;
      o.queue_size = t.int('queue_size', { min: 1 }) ?? o.queue_size;
      o.timeout = t.int('timeout', { min: 1, unit: 's' }) ?? o.timeout;
      o.compile_ahead = t.bool('compile_ahead') ?? o.compile_ahead;
      return;
    }
    case 'setup':
      return;
  }
}

function readRemoteCache(t: TableReader, c: DaemonConfig['compilation']): void {
  const url = t.string('remote_cache');
  if (url !== undefined && url.trim() !== '') {
    const problem = remoteUrlProblem(url.trim());
    if (problem) t.issues.add(t.at('remote_cache'), `${formatKeyPath(t.at('remote_cache'))}: ${problem}`);
    else c.remote_cache = url.trim();
  }
  const mode = t.string('remote_cache_mode');
  if (mode !== undefined) {
    if ((REMOTE_CACHE_MODES as readonly string[]).includes(mode)) c.remote_cache_mode = mode as RemoteCacheMode;
    else t.issues.add(t.at('remote_cache_mode'), `${formatKeyPath(t.at('remote_cache_mode'))} must be "read-write" or "read-only", not ${JSON.stringify(mode)}`);
  }
  c.remote_cache_timeout_ms = t.int('remote_cache_timeout_ms', { min: 1, max: 60_000, unit: 'ms' }) ?? c.remote_cache_timeout_ms;
}

function readDistccHosts(t: TableReader, c: DaemonConfig['compilation']): void {
  const hosts = t.string('distcc_hosts');
  if (hosts === undefined) return;
  try {
    parseDistccHosts(hosts);
    c.distcc_hosts = hosts.trim();
  } catch (e) {
    if (!(e instanceof DistccHostsError)) throw e;
    t.issues.add(t.at('distcc_hosts'), `${formatKeyPath(t.at('distcc_hosts'))}: ${e.message}`);
  }
}

function globProblem(pattern: string): string | null {
  try {
    compileGlob(pattern);
    return null;
  } catch (e) {
    if (e instanceof GlobSyntaxError) return e.message;
    throw e;
  }
}

/**
 * Two daemons of one project cannot listen on one port. Reported once per clash, at
 * the port written last in the file, since that is most likely the new edit.
 */
function checkPortClashes(
  config: DaemonConfig,
  data: TomlTable,
  text: string,
  issues: IssueCollector,
): void {
  const byPort = new Map<number, DaemonName[]>();
  for (const name of DAEMON_NAMES) {
    const port = config.ports[name];
    if (port !== 0) byPort.set(port, [...(byPort.get(port) ?? []), name]);
  }
  const written = (name: DaemonName): boolean => {
    const daemons = data['daemons'];
    const section = isTable(daemons) ? daemons[name] : undefined;
    return isTable(section) && Object.hasOwn(section, 'port');
  };
  const portPath = (name: DaemonName): string[] => ['daemons', name, 'port'];
  for (const [port, names] of byPort) {
    if (names.length < 2) continue;
    const explicit = names.filter(written);
    const offset = (n: DaemonName): number => {
      const p = locateKey(text, portPath(n));
      return p.line * 1e6 + p.column;
    };
    const at = explicit.sort((a, b) => offset(a) - offset(b)).at(-1) ?? names.at(-1)!;
    const others = names
      .filter((n) => n !== at)
      .map((n) => `${n}${written(n) ? '' : ' (its default)'}`)
      .join(', ');
    issues.add(
      portPath(at),
      `${formatKeyPath(portPath(at))}: port ${port} is also the port of ${others}; ` +
        'give each daemon its own port, or 0 to let the system pick a free one',
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
