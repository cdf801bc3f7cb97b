import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_DAEMON_CONFIG,
  daemonConfigPath,
  defaultDaemonConfig,
  loadDaemonConfig,
  parseDaemonConfig,
} from '../../config/daemon-config.js';
import { ConfigError } from '../../config/errors.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(toml?: string): string {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-daemoncfg-'));
  dirs.push(root);
  if (toml !== undefined) {
    mkdirSync(join(root, '.replibuild'));
    writeFileSync(daemonConfigPath(root), toml);
  }
  return root;
}

function issuesOf(toml: string): { file: string; root: string; error: ConfigError } {
  const root = project(toml);
  try {
    loadDaemonConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) return { file: daemonConfigPath(root), root, error: e };
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('daemon config defaults', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_DAEMON_CONFIG).toEqual({
      enabled: { setup: true, discovery: true, compilation: true, orchestrator: true },
      ports: { discovery: 9001, setup: 9002, compilation: 9003, orchestrator: 9004 },
      discovery: { watch_interval: 1000, ignored_patterns: ['*.tmp', '*.swp'], use_polling: false },
      compilation: { max_cache_size: 1024, cache_ttl: 86400, parallel_jobs: 0, remote_cache: '', remote_cache_mode: 'read-write', remote_cache_timeout_ms: 200, distcc_hosts: '' },
      orchestrator: { queue_size: 100, timeout: 300, compile_ahead: true },
    });
  });

  it('uses the defaults when the file or its directory is missing', () => {
    expect(loadDaemonConfig(project())).toEqual(DEFAULT_DAEMON_CONFIG);
  });

  it('uses the defaults for an empty file and for an empty [daemons]', () => {
    expect(loadDaemonConfig(project(''))).toEqual(DEFAULT_DAEMON_CONFIG);
    expect(loadDaemonConfig(project('[daemons]\n[daemons.setup]\n'))).toEqual(DEFAULT_DAEMON_CONFIG);
  });

  it('returns a fresh object each time; the exported defaults cannot be changed', () => {
    const a = loadDaemonConfig(project());
    a.ports.setup = 1;
    a.discovery.ignored_patterns.push('x');
    expect(loadDaemonConfig(project())).toEqual(defaultDaemonConfig());
    expect(() => {
      DEFAULT_DAEMON_CONFIG.ports.setup = 1;
    }).toThrow(TypeError);
  });

  it('puts the file under .replibuild', () => {
    expect(daemonConfigPath('/p')).toBe('/p/.replibuild/daemon_config.toml');
  });
});

describe('the reference .replibuild/daemon_config.toml', () => {
  it('loads cleanly to exactly the defaults', () => {
    const root = project();
    mkdirSync(join(root, '.replibuild'));
    cpSync(join(REPO, '.replibuild/daemon_config.toml'), daemonConfigPath(root));
    expect(loadDaemonConfig(root)).toEqual(DEFAULT_DAEMON_CONFIG);
  });

  it('writes every key with one comment each', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(REPO, '.replibuild/daemon_config.toml'), 'utf8');
    const keys = text.split('\n').filter((l) => /^\w+\s*=/.test(l));
    expect(keys.map((l) => l.split('=')[0]!.trim()).sort()).toEqual(
      [
        'enable_discovery', 'enable_setup', 'enable_compilation', 'enable_orchestrator',
        'port', 'watch_interval', 'ignored_patterns', 'use_polling',
        'port',
        'port', 'max_cache_size', 'cache_ttl', 'parallel_jobs', 'remote_cache', 'remote_cache_mode', 'remote_cache_timeout_ms', 'distcc_hosts',
        'port', 'queue_size', 'timeout',
      ].sort(),
    );
    for (const l of keys) expect(l, l).toMatch(/ # \S/);
  });
});

describe('every key can be overridden', () => {
  it('reads each key', () => {
    const root = project(`
[daemons]
enable_discovery = false
enable_setup = false
enable_compilation = false
enable_orchestrator = false
[daemons.discovery]
port = 19001
watch_interval = 10
ignored_patterns = ["*.o", "build/**"]
use_polling = true
[daemons.setup]
port = 0
[daemons.compilation]
port = 19003
max_cache_size = 1
cache_ttl = 0
parallel_jobs = 8
[daemons.orchestrator]
port = 0
queue_size = 1
timeout = 1
compile_ahead = false
`);
    expect(loadDaemonConfig(root)).toEqual({
      enabled: { setup: false, discovery: false, compilation: false, orchestrator: false },
      ports: { discovery: 19001, setup: 0, compilation: 19003, orchestrator: 0 },
      discovery: { watch_interval: 10, ignored_patterns: ['*.o', 'build/**'], use_polling: true },
      compilation: { max_cache_size: 1, cache_ttl: 0, parallel_jobs: 8, remote_cache: '', remote_cache_mode: 'read-write', remote_cache_timeout_ms: 200, distcc_hosts: '' },
      orchestrator: { queue_size: 1, timeout: 1, compile_ahead: false },
    });
  });

  it('accepts dotted keys and inline tables and keeps other defaults', () => {
    const cfg = parseDaemonConfig(
      'daemons.compilation.parallel_jobs = 3\ndaemons.orchestrator = { timeout = 60 }\n',
      'x.toml',
    );
    expect(cfg.compilation).toEqual({ max_cache_size: 1024, cache_ttl: 86400, parallel_jobs: 3, remote_cache: '', remote_cache_mode: 'read-write', remote_cache_timeout_ms: 200, distcc_hosts: '' });
    expect(cfg.orchestrator).toEqual({ queue_size: 100, timeout: 60, compile_ahead: true });
    expect(cfg.ports).toEqual(DEFAULT_DAEMON_CONFIG.ports);
  });

  it('allows an empty ignored_patterns', () => {
    expect(parseDaemonConfig('[daemons.discovery]\nignored_patterns = []', 'x').discovery.ignored_patterns).toEqual([]);
  });
});

describe('daemon config errors', () => {
  it('reports a syntax error at its line and column', () => {
    const { file, error } = issuesOf('[daemons]\nenable_setup = tru\n');
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ file, line: 2, column: 16 });
    expect(error.message).toMatch(new RegExp(`^${file}:2:16: error: TOML syntax error`));
  });

  it('reports unknown keys and tables with a suggestion', () => {
    const { file, error } = issuesOf(
      [
        '[daemons]',                 // 1
        'enable_discovry = true',     // 2
        '[daemons.compilation]',     // 3
        '  max_cach_size = 5',        // 4
        'frobnicate = 1',            // 5
        '[daemons.orchestrater]',    // 6
        'timeout = 1',               // 7
        '[daemon]',                  // 8
      ].join('\n'),
    );
    expect(error.issues).toEqual([
      {
        file, line: 2, column: 1, key: 'daemons.enable_discovry',
        message: 'unknown key "daemons.enable_discovry" (did you mean "daemons.enable_discovery"?)',
      },
      {
        file, line: 4, column: 3, key: 'daemons.compilation.max_cach_size',
        message: 'unknown key "daemons.compilation.max_cach_size" (did you mean "daemons.compilation.max_cache_size"?)',
      },
      {
        file, line: 5, column: 1, key: 'daemons.compilation.frobnicate',
        message:
          'unknown key "daemons.compilation.frobnicate" (known keys here: port, max_cache_size, cache_ttl, parallel_jobs, remote_cache, remote_cache_mode, remote_cache_timeout_ms, distcc_hosts)',
      },
      {
        file, line: 6, column: 10, key: 'daemons.orchestrater',
        message: 'unknown table [daemons.orchestrater] (did you mean [daemons.orchestrator]?)',
      },
      { file, line: 8, column: 2, key: 'daemon', message: 'unknown table [daemon] (did you mean [daemons]?)' },
    ]);
  });

  it('reports wrong types at the key', () => {
    const { file, error } = issuesOf(
      [
        '[daemons]',                        // 1
        'enable_setup = "yes"',             // 2
        '[daemons.discovery]',              // 3
        'port = "9001"',                    // 4
        'watch_interval = 1000.0',          // 5
        'use_polling = 1',                  // 6
        'ignored_patterns = ["*.o", 3]',    // 7
        '[daemons.compilation]',            // 8
        'cache_ttl = 1.5',                  // 9
        '[daemons.orchestrator]',           // 10
        'queue_size = [1]',                 // 11
        'timeout = "true"',                 // 12
      ].join('\n'),
    );
    const at = error.issues.map((i) => [i.line, i.column, i.key]);
    expect(at).toEqual([
      [2, 1, 'daemons.enable_setup'],
      [4, 1, 'daemons.discovery.port'],
      [5, 1, 'daemons.discovery.watch_interval'],
      [6, 1, 'daemons.discovery.use_polling'],
      [7, 28, 'daemons.discovery.ignored_patterns[1]'],
      [9, 1, 'daemons.compilation.cache_ttl'],
      [11, 1, 'daemons.orchestrator.queue_size'],
      [12, 1, 'daemons.orchestrator.timeout'],
    ]);
    expect(error.issues.every((i) => i.file === file)).toBe(true);
    const m = error.issues.map((i) => i.message);
    expect(m[0]).toBe('daemons.enable_setup must be a boolean (true or false), not the string "yes"');
    expect(m[1]).toBe('daemons.discovery.port must be an integer, not the string "9001" (remove the quotes)');
    expect(m[2]).toBe(
      'daemons.discovery.watch_interval must be an integer, not the float 1000.0 (write 1000 without a decimal point)',
    );
    expect(m[3]).toBe('daemons.discovery.use_polling must be a boolean (true or false), not the integer 1');
    expect(m[4]).toBe('daemons.discovery.ignored_patterns[1] must be a string, not the integer 3');
    expect(m[5]).toBe('daemons.compilation.cache_ttl must be an integer, not the float 1.5');
    expect(m[6]).toBe('daemons.orchestrator.queue_size must be an integer, not an array');
    expect(m[7]).toBe('daemons.orchestrator.timeout must be an integer, not the string "true"');
  });

  it('reports a non-table where a table belongs', () => {
    const { error } = issuesOf('daemons = 1\n');
    expect(error.issues).toMatchObject([
      { line: 1, column: 1, key: 'daemons', message: 'daemons must be a table, not the integer 1' },
    ]);
    const e2 = issuesOf('[daemons]\ndiscovery = "on"\n').error;
    expect(e2.issues).toMatchObject([{ line: 2, column: 1, key: 'daemons.discovery' }]);
  });

  it('checks ranges', () => {
    const { error } = issuesOf(
      [
        '[daemons.discovery]',     // 1
        'port = 65536',            // 2
        'watch_interval = 9',      // 3
        '[daemons.setup]',         // 4
        'port = -1',               // 5
        '[daemons.compilation]',   // 6
        'max_cache_size = 0',      // 7
        'cache_ttl = -1',          // 8
        'parallel_jobs = -2',      // 9
        '[daemons.orchestrator]',  // 10
        'queue_size = 0',          // 11
        'timeout = 0',             // 12
      ].join('\n'),
    );
    expect(error.issues.map((i) => [i.line, i.column, i.message])).toEqual([
      [2, 1, 'daemons.discovery.port must be between 0 and 65535, not 65536'],
      [3, 1, 'daemons.discovery.watch_interval must be at least 10 ms, not 9'],
      [5, 1, 'daemons.setup.port must be between 0 and 65535, not -1'],
      [7, 1, 'daemons.compilation.max_cache_size must be at least 1 MB, not 0'],
      [8, 1, 'daemons.compilation.cache_ttl must be at least 0 s, not -1'],
      [9, 1, 'daemons.compilation.parallel_jobs must be at least 0, not -2'],
      [11, 1, 'daemons.orchestrator.queue_size must be at least 1, not 0'],
      [12, 1, 'daemons.orchestrator.timeout must be at least 1 s, not 0'],
    ]);
  });

  it('refuses huge integers instead of rounding them', () => {
    const { error } = issuesOf('[daemons.compilation]\ncache_ttl = 9007199254740993\n');
    expect(error.issues[0]).toMatchObject({ line: 2, column: 1 });
    expect(error.issues[0]!.message).toBe(
      'daemons.compilation.cache_ttl must be between 0 and 9007199254740991 s, not 9007199254740993',
    );
  });

  it('refuses two daemons on one port, at the port written last', () => {
    const { error } = issuesOf(
      ['[daemons.orchestrator]', 'port = 7000', '[daemons.setup]', 'port = 7000'].join('\n'),
    );
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ line: 4, column: 1, key: 'daemons.setup.port' });
    expect(error.issues[0]!.message).toBe(
      'daemons.setup.port: port 7000 is also the port of orchestrator; ' +
        'give each daemon its own port, or 0 to let the system pick a free one',
    );
  });

  it("refuses a port that is another daemon's default", () => {
    const { error } = issuesOf('[daemons.compilation]\nport = 9001\n');
    expect(error.issues).toMatchObject([{ line: 2, column: 1, key: 'daemons.compilation.port' }]);
    expect(error.issues[0]!.message).toMatch(/port 9001 is also the port of discovery \(its default\)/);
  });

  it('lets any number of daemons use port 0', () => {
    const cfg = parseDaemonConfig(
      '[daemons.discovery]\nport = 0\n[daemons.setup]\nport = 0\n[daemons.compilation]\nport = 0\n',
      'x',
    );
    expect(cfg.ports).toEqual({ discovery: 0, setup: 0, compilation: 0, orchestrator: 9004 });
  });

  it('reports a bad ignored pattern at the element', () => {
    const { error } = issuesOf('[daemons.discovery]\nignored_patterns = ["*.o", "[abc", ""]\n');
    expect(error.issues.map((i) => [i.line, i.column, i.key])).toEqual([
      [2, 28, 'daemons.discovery.ignored_patterns[1]'],
      [2, 36, 'daemons.discovery.ignored_patterns[2]'],
    ]);
    expect(error.issues[0]!.message).toMatch(/bad glob "\[abc": '\[' is never closed/);
  });

  it('collects every issue into one error whose message has one gcc-style line each', () => {
    const { file, error } = issuesOf('[daemons]\nfoo = 1\n[daemons.discovery]\nport = "x"\n');
    expect(error.message.split('\n')).toEqual([
      `${file}:2:1: error: unknown key "daemons.foo" (known keys here: enable_setup, enable_discovery, enable_compilation, enable_orchestrator, setup, discovery, compilation, orchestrator)`,
      `${file}:4:1: error: daemons.discovery.port must be an integer, not the string "x"`,
    ]);
  });
});
