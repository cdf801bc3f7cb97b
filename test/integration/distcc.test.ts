// Issue 13: cache misses compiled on real distccd servers, each a host of its own (a
// network namespace with a veth pair and a private address; loopback ports where
// namespaces are not available), with real daemons. Every project has its own empty
// cache, so whatever compiles, compiles now.
import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import { REPO, cli, cliSync, objects, projectsPerTest, waitFor, type TestProject } from '../helpers/project.js';
import { startDistccFarm, type DistccFarm } from '../helpers/distcc.js';

const project = projectsPerTest();
/** daemon_config.toml: free ports, and `hosts` as distcc_hosts unless null. */
const daemonConfig = (hosts: string | null) =>
  DAEMON_NAMES.map((n) => `[daemons.${n}]\nport = 0\n${n === 'compilation' && hosts !== null ? `distcc_hosts = "${hosts}"\n` : ''}`).join('');

let farm: DistccFarm;
beforeAll(async () => {
  farm = await startDistccFarm({ hosts: 2, limit: 2 });
}, 60_000);
afterAll(() => farm?.teardown());

/** The sample project (examples/static-lib: a library of two TUs and an app), with `hosts` as its distcc_hosts. */
function sample(hosts: string | null, flags?: string): TestProject {
  const p = project({}, daemonConfig(hosts));
  cpSync(join(REPO, 'examples/static-lib/src'), join(p.root, 'src'), { recursive: true });
  cpSync(join(REPO, 'examples/static-lib/include'), join(p.root, 'include'), { recursive: true });
  cpSync(join(REPO, 'examples/static-lib/replibuild.toml'), join(p.root, 'replibuild.toml'));
  if (flags) p.write('replibuild.toml', p.read('replibuild.toml').replace('flags = ["-O2", "-Wall", "-Wextra"]', `flags = [${flags}]`));
  return p;
}
const SAMPLE_TUS = ['src/app/main.cpp', 'src/mathlib/mean.cpp', 'src/mathlib/stddev.cpp'];

function calc(p: TestProject): string {
  return spawnSync(join(p.root, 'build/bin/calc'), { encoding: 'utf8' }).stdout;
}

function json(p: TestProject, args: string[]): Record<string, any> {
  const r = cliSync(args, p);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
}

/** A mark in every host's log; `since(mark)`: the sources the hosts compiled after it. */
function farmMark(): number[] {
  return farm.hosts.map((h) => h.compiled().length);
}
function compiledSince(mark: number[]): string[] {
  return farm.hosts.flatMap((h, i) => h.compiled().slice(mark[i]));
}

it('a clean build with two hosts compiles every TU remotely; the objects are a local build\'s; a warm rebuild contacts no host', () => {
  const local = sample(null);
  expect(cliSync(['start'], local).code).toBe(0);
  expect(json(local, ['compile', '--json'])).toMatchObject({ compiled: 3, failed: 0 });

  const p = sample(farm.hosts.map((h) => h.spec).join(' '));
  expect(cliSync(['start'], p).code).toBe(0);
  const before = farmMark();
  const r = cliSync(['compile'], p);
  expect(r.code, r.stderr).toBe(0);
  // Every TU's line names the host it compiled on, and the hosts' own logs agree.
  const names = farm.hosts.map((h) => h.name);
  for (const tu of SAMPLE_TUS) {
    const on = new RegExp(`Compiled ${tu} \\(\\S+\\) \\[on (\\S+)\\]`).exec(r.stdout);
    expect(names, r.stdout).toContain(on?.[1]);
  }
  expect(compiledSince(before).sort()).toEqual(SAMPLE_TUS);
  expect(calc(p)).toBe(calc(local));
  expect(calc(p)).toBe('mean=3 stddev=1.41421\n');
  // Without -g, an object from a host is byte for byte the local compiler's.
  const [lo, ro] = [objects(local.root), objects(p.root)];
  expect([...ro.keys()].sort()).toEqual([...lo.keys()].sort());
  for (const [k, v] of lo) expect(ro.get(k)!.equals(v), k).toBe(true);

  // status and cache stats: per host jobs, failures, mean time.
  const st = json(p, ['status', '--json']);
  const comp = st.daemons.find((d: any) => d.name === 'compilation');
  const sent = comp.details.distcc_hosts.reduce((n: number, h: any) => n + h.jobs, 0);
  expect(sent).toBe(3);
  expect(comp.details.distcc_hosts.every((h: any) => h.failures === 0 && h.set_aside_until === null)).toBe(true);
  expect(cliSync(['status'], p).stdout).toMatch(/distcc=\S+ up, 0\/2 running, jobs \d, failures 0/);
  const stats = json(p, ['cache', 'stats', '--json']);
  expect(stats.distcc.reduce((n: number, h: any) => n + h.jobs, 0)).toBe(3);
  expect(stats.distcc.every((h: any) => h.failures === 0 && h.mean_ms > 0)).toBe(true);
  expect(cliSync(['cache', 'stats'], p).stdout).toMatch(/distcc \S+\s+jobs \d, failures 0, mean [\d.]+ ms/);

  // Warm: all from the cache, and no host hears of it.
  cliSync(['clean'], p);
  const mid = farmMark();
  const logs = farm.hosts.map((h) => h.log().length);
  expect(json(p, ['compile', '--json'])).toMatchObject({ compiled: 0, cached: 3, failed: 0 });
  expect(compiledSince(mid)).toEqual([]);
  expect(farm.hosts.map((h) => h.log().length)).toEqual(logs);
  expect(calc(p)).toBe('mean=3 stddev=1.41421\n');
});

it('a -g object from a host differs from a local one only in debug columns: same code, data and line table, comp_dir ".", no host temp dir', () => {
  const flags = '"-O2", "-g"';
  const local = sample(null, flags);
  expect(cliSync(['start'], local).code).toBe(0);
  expect(json(local, ['compile', '--json'])).toMatchObject({ compiled: 3, failed: 0 });
  const p = sample(farm.hosts.map((h) => h.spec).join(' '), flags);
  expect(cliSync(['start'], p).code).toBe(0);
  const before = farmMark();
  expect(json(p, ['compile', '--json'])).toMatchObject({ compiled: 3, failed: 0 });
  expect(compiledSince(before).sort()).toEqual(SAMPLE_TUS);
  const lo = objects(local.root);
  for (const [k, remote] of objects(p.root)) {
    const a = join(local.root, k);
    const b = join(p.root, k);
    if (remote.equals(lo.get(k)!)) continue;
    // Code, data and symbols: identical once the debug sections are gone.
    const strip = (f: string) => spawnSync('objcopy', ['--strip-debug', f, `${f}.nodebug`]).status;
    expect(strip(a)).toBe(0);
    expect(strip(b)).toBe(0);
    expect(readFileSync(`${b}.nodebug`).equals(readFileSync(`${a}.nodebug`)), k).toBe(true);
    // Debug info: the same DIEs; only column attributes (DW_AT_decl_column,
    // DW_AT_call_column) may differ: gcc on the host reads the preprocessed text, whose
    // columns are not the source's. Files, lines and addresses are the same.
    const dump = (what: string, f: string) =>
      spawnSync('readelf', [`--debug-dump=${what}`, f], { encoding: 'utf8', maxBuffer: 64 << 20 }).stdout.split('\n').slice(2);
    const [la, lb] = [dump('info', a), dump('info', b)];
    expect(lb.length).toBe(la.length);
    const differing = la.filter((l, i) => l !== lb[i]);
    expect(differing.every((l) => /DW_AT_(decl|call)_column/.test(l)), differing.filter((l) => !/_column/.test(l)).slice(0, 3).join('\n')).toBe(true);
    expect(dump('decodedline', b)).toEqual(dump('decodedline', a));
    expect(lb.filter((l) => /DW_AT_comp_dir/.test(l)).every((l) => /: \.$/.test(l))).toBe(true);
    expect(remote.includes(Buffer.from('distccd_'))).toBe(false);
  }
});

/** TUs slow enough (a deep template chain inlined at -O2) that a host is still busy when it is killed. */
function slowFiles(n: number): Record<string, string> {
  const f: Record<string, string> = {
    'replibuild.toml': '[project]\nname = "t"\n\n[compiler]\nflags = ["-O2"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n',
  };
  const decls: string[] = [];
  let sum = 'long s = 0;';
  for (let i = 0; i < n; i++) {
    f[`src/slow${i}.cpp`] =
      `template<int N> struct S { static int f(int x) { return S<N-1>::f(x * 3 + N) ^ (x >> 3); } };\n` +
      `template<> struct S<0> { static int f(int x) { return x; } };\n` +
      `int slow${i}(int x) { return S<${600 + i}>::f(x) + S<${300 + i}>::f(x + 1); }\n`;
    decls.push(`int slow${i}(int);`);
    sum += ` s += slow${i}(${i});`;
  }
  f['src/main.cpp'] = `#include <cstdio>\n${decls.join('\n')}\nint main() { ${sum} std::printf("%ld\\n", s); return 0; }\n`;
  return f;
}

it('a host killed mid-build costs a retry, not the build; status counts its failure', async () => {
  const local = project(slowFiles(6));
  expect(cliSync(['start'], local).code).toBe(0);
  expect(json(local, ['compile', '--json'])).toMatchObject({ failed: 0 });
  const expected = spawnSync(join(local.root, 'build/bin/app'), { encoding: 'utf8' }).stdout;
  expect(expected).toMatch(/^-?\d+\n$/);

  const own = await startDistccFarm({ hosts: 2, limit: 1 });
  try {
    const [victim, survivor] = own.hosts as [typeof own.hosts[0], typeof own.hosts[0]];
    const p = project(slowFiles(6), daemonConfig(`${victim.spec} ${survivor.spec}`));
    expect(cliSync(['start'], p).code).toBe(0);
    const build = cli(['compile'], p);
    // Killed once it holds a job (it received a source); bounded, the build goes on regardless.
    await waitFor(() => /bytes received/.test(victim.log()), 60_000, 'the first job on the victim');
    victim.kill();
    const r = await build;
    expect(r.code, r.stderr).toBe(0);
    expect(spawnSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' }).stdout).toBe(expected);
    const comp = json(p, ['status', '--json']).daemons.find((d: any) => d.name === 'compilation');
    const v = comp.details.distcc_hosts.find((h: any) => h.name === victim.name);
    expect(v.failures).toBeGreaterThanOrEqual(1);
    // The killed host's jobs were compiled again: every TU is in the build, none failed.
    expect(r.stdout).toMatch(/✅ Complete/);
  } finally {
    own.teardown();
  }
}, 240_000);

it('a host unreachable at start: every TU compiles locally, status names the host and sets it aside', async () => {
  const own = await startDistccFarm({ hosts: 0, dead: true });
  try {
    const files = (salt: number): Record<string, string> => {
      const f: Record<string, string> = {};
      for (let i = 0; i < 8; i++) f[`src/f${i}.cpp`] = `int f${i}() { return ${i} + ${salt}; }\n`;
      f['src/main.cpp'] = `${Array.from({ length: 8 }, (_, i) => `int f${i}();`).join('\n')}\nint main() { return f7() - f0() - 7; }\n`;
      return f;
    };
    const p = project(files(0));
    p.env.DISTCC_HOSTS = own.dead.spec; // the environment's list: no key in daemon_config.toml
    expect(cliSync(['start'], p).code).toBe(0);
    // Each build sends the dead host at least as many jobs as its /2 limit (it has room
    // when a build starts), so two builds are enough for the 3 failures that set it aside.
    for (const salt of [0, 1]) {
      if (salt) for (const [k, v] of Object.entries(files(salt))) if (k !== 'src/main.cpp') p.write(k, v);
      const r = cliSync(['compile'], p);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(/\[on /);
      expect(r.stdout.match(/Compiled /g)?.length).toBe(salt ? 8 : 9);
      expect(spawnSync(join(p.root, 'build/bin/app')).status).toBe(0);
    }
    const host = own.dead.name;
    const text = cliSync(['status'], p).stdout;
    expect(text).toContain(`distcc=${host} set aside until `);
    expect(text).toMatch(/\(from DISTCC_HOSTS\)/);
    const h = json(p, ['status', '--json']).daemons.find((d: any) => d.name === 'compilation').details.distcc_hosts[0];
    expect(h).toMatchObject({ name: host, jobs: h.failures });
    expect(h.failures).toBeGreaterThanOrEqual(3);
    expect(h.set_aside_until).toBeGreaterThan(Date.now());
    expect(h.last_error).toMatch(/connect/i);
  } finally {
    own.teardown();
  }
}, 240_000);

it('a compile error on a host shows the diagnostics and exit code of a local compile', () => {
  const bad = { 'src/bad.cpp': '#include <vector>\nint g() {\n  std::vector<int> v;\n  return v.size() + undefined_x;\n}\n' };
  const local = project(bad);
  const lr = cliSync(['compile', '--no-daemon'], local);
  const p = project(bad);
  p.env.DISTCC_HOSTS = farm.hosts[1]!.spec;
  expect(cliSync(['start'], p).code).toBe(0);
  const before = farm.hosts[1]!.log().length;
  const rr = cliSync(['compile'], p);
  expect(lr.code).toBe(1);
  expect(rr.code).toBe(lr.code);
  // The host was asked (its log names the source), and the user sees what g++ says here.
  expect(farm.hosts[1]!.log().slice(before)).toContain('src/bad.cpp');
  const diag = (s: string) => s.split('\n').filter((l) => !/^❌|^replibuild:/.test(l)).join('\n');
  expect(diag(rr.stderr)).toMatch(/src\/bad\.cpp:4:\d+: error: .undefined_x. was not declared in this scope\n.*\n\s*\|\s*\^/);
  expect(diag(rr.stderr)).toBe(diag(lr.stderr));
});

it('a compile distcc keeps local by itself (-march=native) says so: no host in its line, none in the hosts\' logs', () => {
  const p = sample(farm.hosts.map((h) => h.spec).join(' '), '"-O2", "-march=native"');
  expect(cliSync(['start'], p).code).toBe(0);
  const before = farmMark();
  const r = cliSync(['compile'], p);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout.match(/Compiled /g)?.length).toBe(3);
  expect(r.stdout).not.toMatch(/\[on /);
  expect(compiledSince(before)).toEqual([]);
  expect(calc(p)).toBe('mean=3 stddev=1.41421\n');
  const hosts = json(p, ['status', '--json']).daemons.find((d: any) => d.name === 'compilation').details.distcc_hosts;
  expect(hosts.map((h: any) => h.jobs)).toEqual([0, 0]);
});

it('a host whose compiler makes other objects is found by the probe before its first job and gets none', async () => {
  // Its g++ adds -fno-ident: no .comment section, so every object differs from ours.
  const own = await startDistccFarm({ hosts: 1, compilerFlags: () => ['-fno-ident'] }).catch((e: Error) => e);
  if (own instanceof Error) {
    // Without namespaces (not root) the host's compiler cannot be swapped under it.
    expect(own.message).toMatch(/needs network namespaces/);
    return;
  }
  try {
    const local = sample(null);
    expect(cliSync(['start'], local).code).toBe(0);
    expect(json(local, ['compile', '--json'])).toMatchObject({ compiled: 3, failed: 0 });
    const p = sample(own.hosts[0]!.spec);
    expect(cliSync(['start'], p).code).toBe(0);
    const r = cliSync(['compile'], p);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\[on /);
    expect(own.hosts[0]!.probes()).toBe(1);
    expect(own.hosts[0]!.compiled()).toEqual([]);
    const lo = objects(local.root);
    for (const [k, v] of objects(p.root)) expect(v.equals(lo.get(k)!), k).toBe(true);
    expect(cliSync(['status'], p).stdout).toMatch(/distcc=\S+ not used: its \S*g\+\+ makes other objects than this machine's/);
  } finally {
    own.teardown();
  }
}, 120_000);
