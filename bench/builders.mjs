// One adapter per tool under test, all with the same shape, each owning its
// own copy of the tree, its own cache dir and its own server (if any):
//
//   setup()        untimed preparation (cmake configure, daemons started: the
//                  start is timed separately and returned as startSeconds)
//   build(label)   the timed command: resolves to a sample {ok, seconds, ...}
//   cleanBuild()   rm -rf the build output (and replibuild's build state), so the
//                  next build() is a clean rebuild with the cache kept warm
//   resetCold()    back to nothing built and an empty cache
//   teardown()     stop what setup() started
//
// A tool that is missing is still an adapter: `unavailable` says why, and the
// scenarios report it instead of running it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup, removeDir } from './cleanup.mjs';
import { timed } from './exec.mjs';
import { freePort } from './redis.mjs';
import { guardDaemons, replibuildEnv } from './replibuild.mjs';
import { which } from './tools.mjs';

export const TOOL_LABELS = {
  'rb-daemon': 'replibuild (daemons)',
  'rb-local': 'replibuild --no-daemon',
  make: 'make -j2',
  ninja: 'ninja -j2 (CMake)',
  ccache: 'make -j2 + ccache',
  sccache: 'make -j2 + sccache',
};

export const REPLIBUILD_TOOLS = ['rb-daemon', 'rb-local'];

// replibuild (daemons and --no-daemon alike) runs each compiler, linker and ar in a
// session of its own (setsid: its process group is what a cancel kills). With the
// kernel's autogroup scheduling a session is a scheduling group, so on a loaded machine
// two compilers that share ninja's or make's session get half the CPU of two that have a
// session each (measured here: 0.95 s against 1.89 s of CPU in 8 s). So every tool's
// jobs run the same way, in every suite: ninja's compiles and links under `setsid -w`
// (CMake's launchers), make's (ccache's, sccache's clients') compiles, links and
// archives under `setsid -w` ($(CXX), $(CXXLD) and $(AR) given on make's command
// line). sccache's compilers are its server's children, one session for them all: the
// one thing the harness cannot split.
export const SESSION_PER_JOB = ['-DCMAKE_CXX_COMPILER_LAUNCHER=setsid;-w', '-DCMAKE_CXX_LINKER_LAUNCHER=setsid;-w'];

/** Whether jobs get a session each here (setsid(1) on PATH); a builder's ctx.sessionPerJob overrides it. */
export const SESSION_PER_JOB_AVAILABLE = which('setsid') !== null;

/** Whether the kernel schedules by autogroup (a session each): null when it cannot tell. */
export function autogroupEnabled() {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return null;
  }
}

function wipe(dir, names) {
  for (const n of names) rmSync(join(dir, n), { recursive: true, force: true });
}

function emptyDir(dir) {
  removeDir(dir);
  mkdirSync(dir, { recursive: true });
}

/**
 * @param tool one of TOOL_LABELS' keys
 * @param ctx {dir, cli, jobs, logDir, scratch (a private temp dir), availability, timeoutMs, cmakeArgs, binaryRel,
 *             targets (ninja and replibuild only: build just these, default all),
 *             sessionPerJob (default SESSION_PER_JOB_AVAILABLE: make's and ninja's jobs each under `setsid -w`, see SESSION_PER_JOB)}
 */
export async function makeBuilder(tool, ctx) {
  const label = TOOL_LABELS[tool] ?? tool;
  const sessionPerJob = ctx.sessionPerJob ?? SESSION_PER_JOB_AVAILABLE;
  const base = { tool, label, dir: ctx.dir, unavailable: null, startSeconds: null, sessionPerJob };
  // ctx.timeoutMs may be a function: the run's remaining time budget, read at each command.
  const limit = () => (typeof ctx.timeoutMs === 'function' ? ctx.timeoutMs() : ctx.timeoutMs);
  const run = (cmd, args, extra = {}) =>
    timed(cmd, args, { cwd: ctx.dir, logDir: ctx.logDir, label: `${tool}-${extra.label ?? 'build'}`, timeoutMs: limit(), ...extra });
  const jobs = String(ctx.jobs ?? 2);
  const inSession = sessionPerJob ? 'setsid -w ' : '';

  if (tool === 'rb-daemon' || tool === 'rb-local') {
    const cacheDir = join(ctx.scratch, `${tool}-cache`);
    mkdirSync(cacheDir, { recursive: true });
    const env = replibuildEnv(cacheDir);
    const daemon = tool === 'rb-daemon';
    let guard = null;
    const start = async () => {
      guard = guardDaemons(ctx.cli, ctx.dir, env);
      const r = await run(ctx.cli, ['start', '-C', ctx.dir], { env, label: 'start' });
      for (const m of r.stdout.matchAll(/pid (\d+)/g)) guard.pids.add(Number(m[1]));
      guard.remember();
      if (!r.ok) throw new Error(`replibuild start failed: ${r.error ?? ''} ${r.tail}`);
      return r.seconds;
    };
    const stop = () => {
      if (guard) guard.stop();
      guard = null;
    };
    return {
      ...base,
      env,
      cacheDir,
      async setup() {
        if (daemon) this.startSeconds = await start();
      },
      async build(what = 'build') {
        const args = ['compile', '-C', ctx.dir, '--json', '-j', jobs, ...(ctx.targets ?? [])];
        if (!daemon) args.push('--no-daemon');
        const r = await run(ctx.cli, args, { env, label: what });
        let summary = null;
        try {
          summary = JSON.parse(r.stdout.trim().split('\n').pop());
        } catch {
          /* not JSON: reported through ok=false below */
        }
        const sample = { ok: r.ok && summary?.ok !== false, seconds: r.seconds, timedOut: r.timedOut, summary, error: r.error, tail: r.ok ? undefined : r.tail };
        if (daemon && /daemons not running/.test(r.stderr)) {
          sample.ok = false;
          sample.error = 'the daemons were not running: the build fell back to in-process';
        }
        if (!summary && r.ok) {
          sample.ok = false;
          sample.error = 'compile --json printed no JSON summary';
        }
        return sample;
      },
      async cleanBuild() {
        wipe(ctx.dir, [ctx.buildDir ?? 'build', '.replibuild/state']);
      },
      async resetCold() {
        if (daemon) stop();
        wipe(ctx.dir, [ctx.buildDir ?? 'build', '.replibuild/state']);
        emptyDir(cacheDir);
        if (daemon) this.startSeconds = await start();
      },
      async teardown() {
        stop();
      },
    };
  }

  if (tool === 'make' || tool === 'ccache' || tool === 'sccache') {
    if (!ctx.availability.make) return { ...base, unavailable: 'make not found' };
    if (tool !== 'make' && !ctx.availability[tool]) return { ...base, unavailable: `${tool} not found` };
    const env = { ...process.env };
    const makeArgs = ['-j', jobs, `CXXLD=${inSession}g++`, `AR=${inSession}ar`];
    let cacheDir = null;
    let serverUp = false;
    const sccache = (args) => spawnSync('sccache', args, { env, encoding: 'utf8', timeout: 60_000 });
    const startServer = () => {
      const r = sccache(['--start-server']);
      if (r.status !== 0) throw new Error(`sccache --start-server failed: ${(r.stderr || r.error?.message || '').trim()}`);
      serverUp = true;
    };
    const stopServer = () => {
      if (serverUp) sccache(['--stop-server']);
      serverUp = false;
    };
    if (tool === 'ccache') {
      cacheDir = join(ctx.scratch, 'ccache');
      mkdirSync(cacheDir, { recursive: true });
      Object.assign(env, { CCACHE_DIR: cacheDir, CCACHE_MAXSIZE: '20G' });
      makeArgs.push(`CXX=${inSession}ccache g++`);
    } else if (tool === 'sccache') {
      cacheDir = join(ctx.scratch, 'sccache');
      mkdirSync(cacheDir, { recursive: true });
      Object.assign(env, {
        SCCACHE_DIR: cacheDir,
        SCCACHE_CACHE_SIZE: '20G',
        SCCACHE_IDLE_TIMEOUT: '0',
        SCCACHE_SERVER_PORT: String(await freePort()),
      });
      makeArgs.push(`CXX=${inSession}sccache g++`);
    }
    if (tool === 'make') makeArgs.push(`CXX=${inSession}g++`);
    const stopOnExit = tool === 'sccache' ? onCleanup(`sccache server (${env.SCCACHE_SERVER_PORT})`, stopServer) : null;
    return {
      ...base,
      env,
      cacheDir,
      async setup() {
        if (tool === 'sccache') startServer();
      },
      async build(what = 'build') {
        const r = await run('make', makeArgs, { env, label: what });
        return { ok: r.ok, seconds: r.seconds, timedOut: r.timedOut, error: r.error, tail: r.ok ? undefined : r.tail };
      },
      async cleanBuild() {
        wipe(ctx.dir, ['build']);
      },
      async resetCold() {
        wipe(ctx.dir, ['build']);
        if (tool === 'sccache') stopServer();
        if (cacheDir) emptyDir(cacheDir);
        if (tool === 'sccache') startServer();
      },
      /** The cache's own statistics, for the report. */
      cacheStats() {
        if (tool === 'ccache') return spawnSync('ccache', ['-s'], { env, encoding: 'utf8' }).stdout?.trim() ?? null;
        if (tool === 'sccache' && serverUp) return sccache(['--show-stats']).stdout?.trim() ?? null;
        return null;
      },
      async teardown() {
        if (stopOnExit) stopOnExit();
      },
    };
  }

  if (tool === 'ninja') {
    if (!ctx.availability.ninja) return { ...base, unavailable: 'ninja or cmake not found' };
    const buildDir = join(ctx.dir, 'build');
    const configure = async () => {
      const r = await run(
        'cmake',
        ['-G', 'Ninja', '-S', ctx.dir, '-B', buildDir, '-DCMAKE_CXX_COMPILER=g++', ...(ctx.cmakeArgs ?? []), ...(sessionPerJob ? SESSION_PER_JOB : [])],
        { label: 'configure' },
      );
      if (!r.ok) throw new Error(`cmake configure failed: ${r.error ?? ''}\n${r.tail}`);
      return r.seconds;
    };
    return {
      ...base,
      configureSeconds: null,
      async setup() {
        this.configureSeconds = await configure();
      },
      async build(what = 'build') {
        const r = await run('ninja', ['-C', buildDir, '-j', jobs, ...(ctx.targets ?? [])], { label: what });
        return { ok: r.ok, seconds: r.seconds, timedOut: r.timedOut, error: r.error, tail: r.ok ? undefined : r.tail };
      },
      // ninja has no cache: a clean rebuild is a cold build; the re-configure is not timed.
      async cleanBuild() {
        removeDir(buildDir);
        await configure();
      },
      async resetCold() {
        removeDir(buildDir);
        await configure();
      },
      async teardown() {},
    };
  }
  return { ...base, unavailable: `unknown tool ${tool}` };
}
