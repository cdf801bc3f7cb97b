// The "second machine" scenario (issue 12): a team cache on Redis, warmed by a
// build on machine A (its own checkout path, its own local cache), then a clean
// build on machine B: a fresh checkout at another path, a fresh local cache, the
// same Redis. replibuild (daemons, `remote_cache` in daemon_config.toml) against
// make -j2 + ccache with its Redis remote storage, and plain make -j2 for scale,
// in one run. The flags carry -g, so the checkout's path matters: replibuild maps
// the root to "." itself; make + ccache gets the same maps in its CXXFLAGS and
// CCACHE_BASEDIR set to the checkout (ccache needs both to hit across paths with
// -g: hash_dir keys the directory unless a prefix map lifts it).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, statSync, writeFileSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeBuilder } from './builders.mjs';
import { removeDir } from './cleanup.mjs';
import { cloneModel, generateProject } from './generate.mjs';
import { measureScenario } from './measure.mjs';
import { redisCommand, redisInfo, startRedis } from './redis.mjs';
import { cliSync } from './replibuild.mjs';
import { verifyProgram } from './scenarios.mjs';

export const SECOND_MACHINE_TOOLS = ['rb-daemon', 'ccache', 'make'];
const FLAGS = ['-O2', '-g'];
const MAKE_PATH_MAPS = ['-fdebug-prefix-map=$(CURDIR)=.', '-fmacro-prefix-map=$(CURDIR)=.'];

/** daemon_config.toml with the remote tier, keyed exactly as issue 12 names it. */
function withRemote(text, url) {
  return text.replace(/\[daemons\.compilation\]\n/, `[daemons.compilation]\nremote_cache = "${url}"\n`);
}

/** Every regular file under dir whose name matches `keep` (default: the objects a hit restores), with its size. */
export function outputBytes(dir, keep = /\.o$/) {
  const sizes = [];
  const walk = (d) => {
    let names;
    try {
      names = readdirSync(d);
    } catch {
      return;
    }
    for (const f of names) {
      const p = join(d, f);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (keep.test(f)) sizes.push(st.size);
    }
  };
  walk(dir);
  return sizes;
}

/** The physical floor of restoring these files here: writing as many files of the
 *  same sizes (no fsync, as a build does not sync), best of three. */
export function writeFloor(scratch, sizes) {
  const dir = join(scratch, 'floor');
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    removeDir(dir);
    mkdirSync(dir, { recursive: true });
    const bufs = sizes.map((n) => Buffer.alloc(n, rep + 1));
    const t0 = process.hrtime.bigint();
    bufs.forEach((b, i) => writeFileSync(join(dir, `${i}.o`), b));
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  removeDir(dir);
  const bytes = sizes.reduce((a, b) => a + b, 0);
  return { files: sizes.length, bytes, seconds: best, bytes_per_second: best > 0 ? bytes / best : null };
}

/** ccache --print-stats as {counter: number}. */
function ccacheCounters(env) {
  const r = spawnSync('ccache', ['--print-stats'], { env, encoding: 'utf8' });
  const out = {};
  for (const line of (r.stdout ?? '').split('\n')) {
    const [k, v] = line.split('\t');
    if (k && v !== undefined && /^\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

function replibuildCounters(cli, dir, env) {
  const r = cliSync(cli, ['cache', 'stats', '--json', '-C', dir], { env });
  try {
    return JSON.parse(r.stdout);
  } catch {
    return null;
  }
}

async function builderFor(tool, dir, scratch, ctx) {
  mkdirSync(scratch, { recursive: true });
  const b = await makeBuilder(tool, { dir, cli: ctx.cli, jobs: ctx.jobs, logDir: ctx.logDir, scratch, availability: ctx.availability, timeoutMs: ctx.timeoutMs });
  b.scratch = scratch;
  return b;
}

/** Points a builder at the Redis: replibuild through its daemon_config, ccache through its env. */
function useRemote(b, redis) {
  if (b.tool === 'ccache') Object.assign(b.env, { CCACHE_REMOTE_STORAGE: redis.url, CCACHE_BASEDIR: b.dir });
  if (b.tool.startsWith('rb-')) {
    const p = join(b.dir, '.replibuild', 'daemon_config.toml');
    writeFileSync(p, withRemote(readFileSync(p, 'utf8'), redis.url));
  }
}

/** setup(); a replibuild without the remote tier refuses the key: it is then taken
 *  out and the build runs local-only (reported in the notes). */
async function setupWithFallback(b, ctx) {
  try {
    await b.setup();
    return null;
  } catch (e) {
    if (!b.tool.startsWith('rb-') || !/remote_cache/.test(e.message)) throw e;
    const p = join(b.dir, '.replibuild', 'daemon_config.toml');
    writeFileSync(p, readFileSync(p, 'utf8').replace(/^remote_cache = .*\n/m, ''));
    await b.setup();
    const why = 'this replibuild has no remote tier (daemon_config.toml refuses remote_cache): machine B built with its local cache only';
    ctx.log(`  ${b.label}: ${why}`);
    return why;
  }
}

/**
 * opts: {n, reps, tools?, ...ctx}. For each tool: its own Redis, machine A's
 * checkout built once (untimed reference), then machine B's clean build timed.
 */
export async function runSecondMachine(opts) {
  const { log } = opts;
  const tools = opts.tools ?? SECOND_MACHINE_TOOLS;
  if (!opts.availability['redis-server']) return { unavailable: 'redis-server not found (apt-get install redis-server)' };
  const baseDir = join(opts.tmp, 'second-base');
  const model = generateProject(baseDir, { n: opts.n, variant: 'heavy', jobs: opts.jobs, flags: FLAGS, makeOnlyFlags: MAKE_PATH_MAPS });
  log(`second machine: ${opts.n} TUs, flags ${FLAGS.join(' ')}`);
  const result = { n: opts.n, flags: FLAGS, tools, machine_a: {}, scenarios: {}, notes: {}, redis: {}, floor: null };
  const cleanups = [];
  try {
    const bs = [];
    for (const tool of tools) {
      const needsRedis = tool !== 'make';
      const redis = needsRedis ? await startRedis(join(opts.tmp, `second-${tool}-redis`), { log }) : null;
      if (redis) cleanups.push(() => redis.stop());
      // Machine A: a checkout of its own, a local cache of its own.
      const dirA = join(opts.tmp, `second-${tool}-A`, 'work', 'project');
      cpSync(model.dir, dirA, { recursive: true });
      const a = await builderFor(tool, dirA, join(opts.tmp, `second-${tool}-A-scratch`), opts);
      a.model = cloneModel(model, dirA);
      let aNote = null;
      if (!a.unavailable) {
        if (redis) useRemote(a, redis);
        try {
          aNote = await setupWithFallback(a, opts);
        } catch (e) {
          a.unavailable = `setup failed: ${e.message}`;
        }
      }
      if (needsRedis) {
        // Machine A's build fills the Redis; it is untimed here (a cold build, measured elsewhere).
        result.machine_a[tool] = (await measureScenario([a], { name: 'machine-A', reps: 1, verify: verifyProgram }, log))[tool];
        await a.teardown?.(); // the daemons' background pushes end with their stop
        if (redis) {
          result.redis[tool] = {
            keys: Number(await redisCommand(redis.port, 'DBSIZE').catch(() => NaN)),
            used_memory: Number((await redisInfo(redis.port).catch(() => ({}))).used_memory ?? NaN),
            version: redis.version,
          };
        }
      } else {
        await a.teardown?.();
      }
      removeDir(dirA);
      removeDir(a.scratch);
      // Machine B: another path (deeper, another length), a fresh local cache, the same Redis.
      const dirB = join(opts.tmp, `second-${tool}-B`, 'elsewhere', 'deeper', 'checkout');
      cpSync(model.dir, dirB, { recursive: true });
      const b = await builderFor(tool, dirB, join(opts.tmp, `second-${tool}-B-scratch`), opts);
      b.model = cloneModel(model, dirB);
      b.redis = redis;
      if (!b.unavailable) {
        if (redis) useRemote(b, redis);
        try {
          const note = await setupWithFallback(b, opts);
          if (note || aNote) result.notes[tool] = note ?? aNote;
        } catch (e) {
          b.unavailable = `setup failed: ${e.message}`;
        }
      }
      bs.push(b);
      cleanups.push(async () => {
        await b.teardown?.();
        removeDir(b.dir);
        removeDir(b.scratch);
      });
    }
    // Each rep is a first build on a machine B: every rep after the first starts again
    // from no build output and an empty local cache (replibuild's daemons restarted on it).
    const before = (b, rep) => (rep > 0 ? b.resetCold() : undefined);
    // make has no cache: each of its runs is the same full build; one is enough for scale.
    const repsFor = (tool) => (tool === 'make' ? 1 : Infinity);
    log('second machine: machine B clean builds');
    result.scenarios['second-machine'] = await measureScenario(bs, { name: 'second-machine', reps: opts.reps, before, repsFor, verify: verifyProgram }, log);
    // Where the last B build took its objects from.
    for (const b of bs) {
      if (b.unavailable) continue;
      if (b.tool === 'ccache') {
        const c = ccacheCounters(b.env);
        result.notes.ccache_counters = c;
        log(`  ccache on B: remote hits ${c.remote_storage_hit ?? '?'}, remote misses ${c.remote_storage_miss ?? '?'}, local hits ${c.local_storage_hit ?? '?'}, misses ${c.cache_miss ?? '?'}`);
      } else if (b.tool.startsWith('rb-')) {
        const s = replibuildCounters(opts.cli, b.dir, b.env);
        result.notes.replibuild_stats = s;
        const remote = s?.remote ? `remote hits ${s.remote.hits}, remote misses ${s.remote.misses}, remote errors ${s.remote.errors}` : 'no remote counters (no remote tier in this replibuild)';
        log(`  replibuild on B: hits ${s?.hits ?? '?'}, misses ${s?.misses ?? '?'}; ${remote}`);
      }
    }
    const rb = bs.find((b) => b.tool === 'rb-daemon' && !b.unavailable) ?? bs.find((b) => !b.unavailable);
    if (rb) result.floor = writeFloor(opts.tmp, outputBytes(join(rb.dir, 'build')));
  } finally {
    for (const c of cleanups.reverse()) {
      try {
        await c();
      } catch {
        /* reported by cleanup */
      }
    }
    removeDir(baseDir);
    rmSync(join(opts.tmp, 'floor'), { recursive: true, force: true });
  }
  return result;
}
