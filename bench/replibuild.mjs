// replibuild as the benchmarks run it: a snapshot of the built CLI (so another
// engineer's `tsc` in the repo cannot change the code under test halfway through
// a run), and the few CLI calls the harness makes outside the timed builds.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { killPids, onCleanup } from './cleanup.mjs';

/** Copies <repo>/dist, bin and package.json into `into`; returns the path of the
 *  `replibuild` command there (bin/replibuild: what `npm link` puts on PATH). */
export function snapshotReplibuild(repo, into) {
  const dist = join(repo, 'dist');
  if (!existsSync(join(dist, 'client', 'cli.js'))) {
    throw new Error(`${dist}/client/cli.js not found: build first (npx tsc -p . && node scripts/postbuild.mjs)`);
  }
  mkdirSync(into, { recursive: true });
  cpSync(dist, join(into, 'dist'), { recursive: true });
  cpSync(join(repo, 'bin'), join(into, 'bin'), { recursive: true });
  cpSync(join(repo, 'package.json'), join(into, 'package.json'));
  symlinkSync(resolve(repo, 'node_modules'), join(into, 'node_modules'), 'dir');
  return join(into, 'bin', 'replibuild');
}

/** The environment for replibuild: its own cache dir, and never CI mode (CI=true means --no-daemon). */
export function replibuildEnv(cacheDir) {
  const env = { ...process.env, REPLIBUILD_CACHE_DIR: cacheDir, NO_COLOR: '1' };
  delete env.CI;
  return env;
}

export function cliSync(cli, args, { env, cwd, timeoutMs = 120_000 } = {}) {
  const r = spawnSync(cli, args, { env, cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
  return { ok: r.status === 0, code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error?.message ?? null };
}

/** `replibuild status --json` parsed, or null. */
export function statusJson(cli, dir, env) {
  const r = cliSync(cli, ['status', '-C', dir, '--json'], { env });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

/** Total RSS of the project's running daemons, with each daemon's figure. */
export function daemonsRss(cli, dir, env) {
  const st = statusJson(cli, dir, env);
  if (!st || !Array.isArray(st.daemons)) return null;
  const each = {};
  let total = 0;
  for (const d of st.daemons) {
    each[d.name] = d.rss_bytes ?? null;
    total += d.rss_bytes ?? 0;
  }
  return { total, each, all_running: Boolean(st.all_running), details: Object.fromEntries(st.daemons.map((d) => [d.name, d.details])) };
}

/**
 * Registers the stop of a project's daemons (replibuild stop, then SIGKILL of
 * any of the PIDs we saw that survived). Returns the function that stops them now.
 */
export function guardDaemons(cli, dir, env) {
  const pids = new Set();
  const remember = () => {
    const st = statusJson(cli, dir, env);
    for (const d of st?.daemons ?? []) if (d.pid) pids.add(d.pid);
  };
  const stop = onCleanup(`replibuild daemons in ${dir}`, () => {
    cliSync(cli, ['stop', '-C', dir], { env, timeoutMs: 60_000 });
    killPids([...pids]);
  });
  return { remember, stop, pids };
}
