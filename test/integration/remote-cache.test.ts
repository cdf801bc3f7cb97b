// Issue 12: the shared remote tier on a real redis-server, with real daemons. Every
// project has its own empty REPLIBUILD_CACHE_DIR, so whatever it finds it found in Redis.
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import { cli, cliSync, objects, projectsPerTest, waitFor, type TestProject } from '../helpers/project.js';
import { redisPerTest } from '../helpers/redis.js';

const project = projectsPerTest();
const redis = redisPerTest();

const TUS = 10;
const toml = (flags: string) => `[project]
name = "t"

[compiler]
flags = [${flags}]

[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
`;

function files(salt = '', flags = '"-O1", "-g"'): Record<string, string> {
  const f: Record<string, string> = { 'replibuild.toml': toml(flags) };
  const decls: string[] = [];
  let sum = 'int s = 0;';
  for (let i = 0; i < TUS; i++) {
    f[`src/f${i}.cpp`] = `#include <vector>\n#include <string>\n${salt}\nint f${i}() { std::vector<std::string> v{"a", "bb"}; return ${i} + (int)v[1].size(); }\n`;
    decls.push(`int f${i}();`);
    sum += ` s += f${i}();`;
  }
  f['src/main.cpp'] = `#include <cstdio>\n${decls.join('\n')}\nint main() { ${sum} std::printf("%d\\n", s); return 0; }\n`;
  return f;
}
const EXPECTED = String(Array.from({ length: TUS }, (_, i) => i + 2).reduce((a, b) => a + b, 0));

const PORTS = DAEMON_NAMES.map((n) => `[daemons.${n}]\nport = 0\n`).join('');

function withRemote(p: TestProject, url: string): TestProject {
  p.env.REPLIBUILD_REMOTE_CACHE = url;
  return p;
}

function json(p: TestProject, args: string[]): Record<string, any> {
  const r = cliSync(args, p);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

function runs(p: TestProject): string {
  return spawnSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' }).stdout.trim();
}

function status(p: TestProject): string {
  return cliSync(['status'], p).stdout;
}

/** A's daemons stopped: their closes wait for the background puts to Redis. */
function buildAndStop(p: TestProject): void {
  expect(cliSync(['start'], p).code).toBe(0);
  expect(json(p, ['compile', '--json'])).toMatchObject({ failed: 0 });
  expect(cliSync(['stop'], p).code).toBe(0);
}

// With -g this holds because every compile maps the project root to "." (-fdebug-prefix-map,
// -fmacro-prefix-map): a -g object would otherwise embed, and key on, the checkout's path.
// The TUs share a leading <vector>, <string>: with pch = "auto" they compile with a
// precompiled header, which B must take from A's entry (its name and key may not depend
// on the checkout's path), or every user misses.
it.each([
  ['without -g', '"-O1"', 'off'],
  ['with -g', '"-O1", "-g"', 'off'],
  ['with -g and a precompiled header', '"-O1", "-g"', 'auto'],
])('a checkout at another path, with its own empty cache, is all remote hits (%s)', async (_, flags, pch) => {
  const r = await redis();
  const tree = () => {
    const f = files('', flags);
    f['replibuild.toml'] = f['replibuild.toml']!.replace('[compiler]\n', `[compiler]\npch = "${pch}"\n`);
    return f;
  };
  // A .gch is tens of MB: more than the default 200 ms lets Redis move on a loaded
  // machine (a timeout is a counted error and a local compile, by design).
  const config = pch === 'auto' ? PORTS.replace('[daemons.compilation]\n', '[daemons.compilation]\nremote_cache_timeout_ms = 20000\n') : undefined;
  const a = withRemote(project(tree(), config), r.url);
  buildAndStop(a);
  expect(Number(r.cmd('DBSIZE'))).toBeGreaterThan(TUS);
  const aStats = json(a, ['cache', 'stats', '--json']);
  expect(aStats.remote.bytes_written).toBeGreaterThan(0);

  const b = withRemote(project(tree(), config), r.url);
  expect(cliSync(['start'], b).code).toBe(0);
  const summary = json(b, ['compile', '--json']);
  expect(cliSync(['stop'], b).code).toBe(0);
  const s = json(b, ['cache', 'stats', '--json']);
  expect(runs(b)).toBe(EXPECTED);
  expect(s.remote.hits).toBeGreaterThan(0);
  expect(s.remote.errors).toBe(0);
  expect(summary).toMatchObject({ compiled: 0, cached: TUS + 1 });
  // Every TU and main.cpp (and the PCH), and the link: its whole blob, from Redis.
  expect(s).toMatchObject({ misses: 0, hits: TUS + 1 + (pch === 'auto' ? 1 : 0), link_hits: 1, link_misses: 0 });
  expect(s.remote.misses).toBe(0);
  const oa = objects(a.root);
  const ob = objects(b.root);
  expect([...ob.keys()].sort()).toEqual([...oa.keys()].sort());
  for (const [k, v] of oa) expect(ob.get(k)!.equals(v), k).toBe(true);
});

it('Redis killed mid-build: the build is right and not much slower than local-only; a restarted Redis is used again without restarting the daemons', async () => {
  // Local-only reference: the same tree, its own empty cache, no remote.
  const ref = project(files('// ref'));
  const t0 = performance.now();
  buildAndStop(ref);
  const localMs = performance.now() - t0;

  const r = await redis();
  const p = withRemote(project(files('// faulted')), r.url);
  expect(cliSync(['start'], p).code).toBe(0);
  const t1 = performance.now();
  const build = cli(['compile', '--json'], p);
  // Killed once the first results are up (bounded: the build may also finish first).
  await waitFor(() => Number(r.cmd('DBSIZE') || '0') > 0, 30_000, 'a first key in Redis').catch(() => undefined);
  await r.kill('SIGKILL');
  const done = await build;
  const faultedMs = performance.now() - t1;
  expect(done.code, done.stderr).toBe(0);
  expect(JSON.parse(done.stdout)).toMatchObject({ failed: 0 });
  expect(runs(p)).toBe(EXPECTED);
  // The bound: within 2× a local-only build (the reference also counts its start
  // and stop, which leaves room for a loaded machine). The breaker itself is unit-tested.
  expect(faultedMs).toBeLessThan(2 * localMs);
  await waitFor(() => /unreachable/.test(status(p)), 15_000, 'status to say unreachable');

  await r.restart();
  await waitFor(() => / reachable/.test(status(p)), 15_000, 'the daemons to reconnect');
  const before = json(p, ['cache', 'stats', '--json']).remote;
  // A changed TU: a local miss, so Redis is asked and then given the new result.
  p.write('src/f0.cpp', 'int f0() { volatile int k = 2; return k; }\n');
  expect(json(p, ['compile', '--json'])).toMatchObject({ compiled: 1, failed: 0 });
  await waitFor(() => Number(r.cmd('DBSIZE') || '0') > 0, 15_000, 'the new result in Redis');
  const after = json(p, ['cache', 'stats', '--json']).remote;
  expect(after.misses).toBeGreaterThan(before.misses);
  expect(runs(p)).toBe(EXPECTED);
});

it('a corrupt value in Redis is recompiled, counted as an error, never linked', async () => {
  const r = await redis();
  const a = withRemote(project(files('', '"-O1"')), r.url);
  buildAndStop(a);
  const keys = r.cmd('--scan', '--pattern', 'replibuild:v1:result:*').split('\n').filter(Boolean);
  expect(keys.length).toBeGreaterThan(0);
  // Foreign values and damaged envelopes (integrity kept, last byte changed), taking
  // turns over every result: which keys B reads depends on the modes A stored in (a
  // preprocessor-mode key beside the direct one when a core was spare), so corrupting
  // only two could miss every key B asks for.
  keys.forEach((key, i) => {
    if (i % 2 === 0) r.cmd('SET', key, 'not a replibuild value');
    else {
      const len = Number(r.cmd('STRLEN', key));
      const last = r.cmd('GETRANGE', key, String(len - 1), String(len - 1));
      r.cmd('SETRANGE', key, String(len - 1), last === 'X' ? 'Y' : 'X');
    }
  });
  const b = withRemote(project(files('', '"-O1"')), r.url);
  expect(cliSync(['start'], b).code).toBe(0);
  const summary = json(b, ['compile', '--json']);
  expect(cliSync(['stop'], b).code).toBe(0);
  expect(summary.failed).toBe(0);
  expect(summary.compiled).toBeGreaterThanOrEqual(1);
  const s = json(b, ['cache', 'stats', '--json']);
  expect(s.errors).toBeGreaterThanOrEqual(Math.min(keys.length, 2));
  expect(s.remote.errors).toBeGreaterThanOrEqual(Math.min(keys.length, 2));
  expect(runs(b)).toBe(EXPECTED);
});

it('read-only mode writes no key', async () => {
  const r = await redis();
  const config = PORTS.replace('[daemons.compilation]\n', `[daemons.compilation]\nremote_cache = "${r.url}"\nremote_cache_mode = "read-only"\n`);
  const p = project(files('// ro'), config);
  const before = r.cmd('DBSIZE');
  buildAndStop(p);
  expect(r.cmd('DBSIZE')).toBe(before);
  const s = json(p, ['cache', 'stats', '--json']);
  expect(s.remote.misses).toBeGreaterThan(0);
  expect(s.remote.bytes_written).toBe(0);
  expect(runs(p)).toBe(EXPECTED);
});

it.each([
  ['noeviction: writes refused with OOM', 'noeviction'],
  ['allkeys-lru: an eviction storm', 'allkeys-lru'],
])('a full Redis (%s): builds work and are right, and a second checkout still builds right', async (_, policy) => {
  // 10 TUs with -g put up well over 1 MB: the limit is reached within the first build.
  const r = await redis(['--maxmemory', '1mb', '--maxmemory-policy', policy]);
  const a = withRemote(project(files(`// full ${policy}`)), r.url);
  buildAndStop(a);
  expect(runs(a)).toBe(EXPECTED);
  // The limit was really met: writes refused, or keys evicted.
  const info = r.cmd('INFO', 'stats');
  const remote = json(a, ['cache', 'stats', '--json']).remote;
  if (policy === 'noeviction') expect(remote.errors).toBeGreaterThan(0);
  else expect(Number(/evicted_keys:(\d+)/.exec(info)?.[1])).toBeGreaterThan(0);
  const b = withRemote(project(files(`// full ${policy}`)), r.url);
  buildAndStop(b);
  expect(runs(b)).toBe(EXPECTED);
  const s = json(b, ['cache', 'stats', '--json']);
  // Whatever Redis kept was checked and used; whatever it refused or evicted was compiled.
  expect(s.hits + s.misses).toBeGreaterThan(0);
  expect(s.errors).toBe(0);
});

it('a wrong password: status says authentication failed, without the password; builds work', async () => {
  const r = await redis(['--requirepass', 'right-pw-4711']);
  const url = `redis://default:wrong-pw-0815@127.0.0.1:${r.port}`;
  const p = withRemote(project(files('// pw')), url);
  expect(cliSync(['start'], p).code).toBe(0);
  expect(json(p, ['compile', '--json'])).toMatchObject({ failed: 0 });
  expect(runs(p)).toBe(EXPECTED);
  const st = status(p);
  expect(st).toMatch(/authentication failed/);
  const all = st + cliSync(['status', '--json'], p).stdout + readdirSync(join(p.root, '.replibuild/daemon_logs')).map((f) => readFileSync(join(p.root, '.replibuild/daemon_logs', f), 'utf8')).join('');
  expect(all).not.toContain('wrong-pw-0815');
  expect(st).toContain('default:***@');
});

it('Redis down at start: builds run local-only, status says unreachable', async () => {
  const r = await redis();
  await r.kill('SIGKILL');
  const p = withRemote(project(files('// down')), r.url);
  expect(cliSync(['start'], p).code).toBe(0);
  expect(json(p, ['compile', '--json'])).toMatchObject({ compiled: TUS + 1, failed: 0 });
  expect(runs(p)).toBe(EXPECTED);
  expect(status(p)).toMatch(/unreachable \(connection refused\)/);
  rmSync(join(p.root, 'build'), { recursive: true });
  expect(json(p, ['compile', '--json'])).toMatchObject({ cached: TUS + 1, failed: 0 });
});
