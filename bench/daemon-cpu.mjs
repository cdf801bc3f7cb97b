#!/usr/bin/env node
// CPU per build of each daemon (utime + stime from /proc/<pid>/stat) around warm clean
// rebuilds (rm -rf build and .replibuild/state, cache kept) of a generated tree: what a
// hit costs the daemons, steadier than wall time on a shared machine. With several
// --repos (built checkouts), one tree and one cache are shared: the cold build runs
// once, then each repo's daemons in turn run --cleans rebuilds, --rounds times over.
//
// --dir and --cache keep the tree and the cache between runs (generated only when --dir
// has no replibuild.toml yet), so a second run skips the cold build.
//
//   node bench/daemon-cpu.mjs [--n=200] [--cleans=5] [--rounds=1] [--variant=heavy] [--repos=.,../other]
//                             [--dir=/tmp/tree --cache=/tmp/cache]
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onCleanup, removeDir, runCleanups } from './cleanup.mjs';
import { generateProject } from './generate.mjs';
import { cliSync, guardDaemons, replibuildEnv, snapshotReplibuild, statusJson } from './replibuild.mjs';

function args() {
  const o = { n: 200, cleans: 5, rounds: 1, variant: 'heavy', repos: '.', dir: '', cache: '' };
  for (const a of process.argv.slice(2)) {
    const [k, v] = a.replace(/^--/, '').split('=');
    if (!(k in o)) throw new Error(`unknown option ${a}`);
    o[k] = typeof o[k] === 'number' ? Number(v) : v;
  }
  return o;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** [utime, stime] of `pid` in ms. */
function cpuMs(pid) {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]) * TICK_MS, Number(f[12]) * TICK_MS];
}

const must = (r, what) => {
  if (!r.ok) throw new Error(`${what} failed: ${r.stderr.slice(-800)}`);
  return r;
};
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const o = args();
const tmp = mkdtempSync(join(tmpdir(), 'replibuild-daemon-cpu-'));
onCleanup(`temp dir ${tmp}`, () => removeDir(tmp));
const repos = o.repos.split(',').map((r, i) => ({ repo: resolve(r), cli: snapshotReplibuild(resolve(r), join(tmp, `replibuild-${i}`)), per: {}, wall: [] }));
const dir = o.dir ? resolve(o.dir) : join(tmp, 'proj');
if (!existsSync(join(dir, 'replibuild.toml'))) generateProject(dir, { n: o.n, variant: o.variant });
const env = replibuildEnv(o.cache ? resolve(o.cache) : join(tmp, 'cache'));
const loads = [load()];
try {
  for (let round = 0; round < o.rounds; round++) {
    for (const r of repos) {
      const guard = guardDaemons(r.cli, dir, env);
      try {
        must(cliSync(r.cli, ['start', '-C', dir], { env }), 'start');
        guard.remember();
        // The first build of a started daemon fills its memos (and, the first time, the cache).
        must(cliSync(r.cli, ['compile', '-C', dir], { env, timeoutMs: 900_000 }), 'first compile');
        // And one clean rebuild unmeasured: the first after a start fills the hit path's memos.
        for (const d of ['build', join('.replibuild', 'state')]) removeDir(join(dir, d));
        must(cliSync(r.cli, ['compile', '-C', dir], { env }), 'warm-up clean');
        const pids = Object.fromEntries((statusJson(r.cli, dir, env)?.daemons ?? []).map((d) => [d.name, d.pid]));
        for (let i = 0; i < o.cleans; i++) {
          for (const d of ['build', join('.replibuild', 'state')]) removeDir(join(dir, d));
          const before = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuMs(p)]));
          const t0 = process.hrtime.bigint();
          const res = must(cliSync(r.cli, ['compile', '--json', '-C', dir], { env }), `clean ${i}`);
          r.wall.push(Number(process.hrtime.bigint() - t0) / 1e6);
          const j = JSON.parse(res.stdout);
          const s = j.summary ?? j;
          if (s.compiled !== 0 || s.cached !== o.n + 1) throw new Error(`clean ${i} was not all hits: ${JSON.stringify(s)}`);
          for (const [k, p] of Object.entries(pids)) {
            const [u, sy] = cpuMs(p);
            (r.per[k] ??= []).push([u - before[k][0], sy - before[k][1]]);
          }
        }
      } finally {
        guard.stop();
      }
      loads.push(load());
    }
  }
  console.log(`# daemon CPU per warm clean rebuild: ${o.n} TUs (${o.variant}), ${o.cleans} builds x ${o.rounds} rounds per repo; load ${loads.join(' | ')}`);
  for (const r of repos) {
    console.log(`\n## ${r.repo}`);
    for (const [k, a] of Object.entries(r.per)) {
      const tot = a.map(([u, s]) => u + s);
      console.log(`${k.padEnd(13)} median ${String(med(tot)).padStart(5)} ms (user ${med(a.map((x) => x[0]))}, sys ${med(a.map((x) => x[1]))}) = ${(med(tot) / o.n).toFixed(2)} ms/TU; all: ${tot.join(' ')}`);
    }
    console.log(`wall          median ${med(r.wall).toFixed(0).padStart(5)} ms; all: ${r.wall.map((w) => w.toFixed(0)).join(' ')}`);
  }
} finally {
  runCleanups();
}
