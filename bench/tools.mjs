// Which tools are here, installing the Debian ones the benchmarks need
// (ccache, sccache, googletest's sources, redis-server for the team-cache
// scenario: only the binary is used, the system service is never started by us),
// and each tool's version.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const APT_PACKAGES = { ccache: 'ccache', sccache: 'sccache', googletest: 'googletest', 'redis-server': 'redis-server', distccd: 'distcc' };
export const GOOGLETEST_SRC = '/usr/src/googletest';

/** The full path of `cmd` on PATH, or null. */
export function which(cmd) {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' });
  const p = r.status === 0 ? r.stdout.trim() : '';
  return p || null;
}

function present(name) {
  return name === 'googletest' ? existsSync(`${GOOGLETEST_SRC}/googletest/src/gtest-all.cc`) : which(name) !== null;
}

/**
 * Installs what is missing of ccache, sccache, googletest and redis-server with apt-get
 * (`apt-get update` once, only when something is missing). Never throws:
 * returns what it did, and a tool still missing afterwards is reported as such.
 */
export function ensureTools({ install = true, log = () => {} } = {}) {
  const missing = Object.keys(APT_PACKAGES).filter((t) => !present(t));
  const result = { missing_before: missing, installed: [], install_error: null };
  if (missing.length === 0 || !install) return result;
  if (!which('apt-get')) {
    result.install_error = 'apt-get not found';
    return result;
  }
  log(`installing ${missing.join(', ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const upd = spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env, timeout: 300_000 });
  if (upd.status !== 0) log(`apt-get update failed: ${(upd.stderr || '').trim().split('\n').pop()}`);
  const inst = spawnSync('apt-get', ['install', '-y', '-qq', ...missing.map((t) => APT_PACKAGES[t])], {
    encoding: 'utf8',
    env,
    timeout: 600_000,
  });
  if (inst.status !== 0) result.install_error = (inst.stderr || inst.error?.message || 'apt-get install failed').trim().split('\n').pop();
  result.installed = missing.filter((t) => present(t));
  return result;
}

function firstLine(cmd, args, pick = (s) => s.split('\n')[0]) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error || r.status !== 0) return null;
  const out = `${r.stdout}${r.stderr}`.trim();
  return out ? pick(out).trim() : null;
}

function debVersion(pkg) {
  return firstLine('dpkg-query', ['-W', '-f=${Version}', pkg]);
}

/** Versions of every tool the benchmarks use (null where missing). */
export function toolVersions(replibuildCli) {
  return {
    node: process.version,
    replibuild: firstLine(replibuildCli, ['--version']),
    'g++': firstLine('g++', ['--version']),
    make: firstLine('make', ['--version']),
    ninja: firstLine('ninja', ['--version']),
    cmake: firstLine('cmake', ['--version']),
    ccache: firstLine('ccache', ['--version']),
    sccache: firstLine('sccache', ['--version']),
    'redis-server': firstLine('redis-server', ['--version']),
    distcc: firstLine('distcc', ['--version']),
    googletest: present('googletest') ? `${debVersion('googletest') ?? 'unknown'} (Debian package, ${GOOGLETEST_SRC})` : null,
  };
}

/** Which of the benchmark's tools can run here. */
export function availability() {
  return {
    'g++': present('g++'),
    make: present('make'),
    ninja: present('ninja') && present('cmake'),
    cmake: present('cmake'),
    ccache: present('ccache') && present('make'),
    sccache: present('sccache') && present('make'),
    googletest: present('googletest'),
    'redis-server': present('redis-server'),
    distcc: present('distcc') && present('distccd'),
  };
}
