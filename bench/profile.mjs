#!/usr/bin/env node
// Where replibuild's time goes: runs the CLI and the four daemons under
// `node --cpu-prof` on a generated tree and prints each process's top entries
// (self time by function, and by source file).
//
//   node bench/profile.mjs [--n=2000] [--variant=tiny|heavy] [--noops=5] [--edits=3] [--top=15]
//                          [--cleans=0] [--daemons=incremental|all] [--keep] [--dir=/tmp/tree --cache=/tmp/cache]
//
// --dir and --cache keep the tree and the cache between runs (see bench/daemon-cpu.mjs).
//
// Phases: `replibuild start`, a cold `compile`, no-op compiles and one-file
// edits; each CLI run is its own profile. The daemons' profiles are written when
// `replibuild stop` shuts them down: with --daemons=incremental (the default) the
// cold build runs on unprofiled daemons, which are then restarted under the
// profiler, so their profiles hold the restart, the no-ops and the edits only.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onCleanup, removeDir, runCleanups } from './cleanup.mjs';
import { editTu, generateProject } from './generate.mjs';
import { guardDaemons, replibuildEnv, snapshotReplibuild } from './replibuild.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function args() {
  const o = { n: 2000, variant: 'tiny', noops: 5, edits: 3, cleans: 0, top: 15, keep: false, daemons: 'incremental', dir: '', cache: '' };
  for (const a of process.argv.slice(2)) {
    const [k, v] = a.replace(/^--/, '').split('=');
    if (k === 'keep') o.keep = true;
    else if (k in o) o[k] = typeof o[k] === 'string' ? v : Number(v);
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** Self time per function and per file of one .cpuprofile. */
export function summarizeProfile(file, root) {
  const p = JSON.parse(readFileSync(file, 'utf8'));
  const total = (p.endTime - p.startTime) / 1000; // ms
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map();
  // timeDeltas[i] is the time before samples[i]: attribute it to that sample's node.
  for (let i = 0; i < p.samples.length; i++) {
    const id = p.samples[i];
    self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
  }
  const fn = new Map();
  const files = new Map();
  for (const [id, ms] of self) {
    const cf = byId.get(id).callFrame;
    const url = !cf.url ? '' : cf.url.startsWith('file://') ? relative(root, cf.url.slice(7)) : cf.url;
    const name = `${cf.functionName || '(anonymous)'} ${url ? `${url}:${cf.lineNumber + 1}` : ''}`.trim();
    fn.set(name, (fn.get(name) ?? 0) + ms);
    const f = url || cf.functionName;
    files.set(f, (files.get(f) ?? 0) + ms);
  }
  const sort = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { total, functions: sort(fn), files: sort(files) };
}

function print(title, s, top) {
  const pct = (ms) => `${((100 * ms) / s.total).toFixed(1).padStart(5)}%`;
  console.log(`\n## ${title}: ${s.total.toFixed(0)} ms profiled`);
  console.log('self time by function:');
  for (const [k, ms] of s.functions.slice(0, top)) console.log(`  ${ms.toFixed(1).padStart(9)} ms ${pct(ms)}  ${k}`);
  console.log('self time by file:');
  for (const [k, ms] of s.files.slice(0, Math.min(top, 10))) console.log(`  ${ms.toFixed(1).padStart(9)} ms ${pct(ms)}  ${k}`);
}

async function main() {
  const o = args();
  const tmp = mkdtempSync(join(tmpdir(), 'replibuild-profile-'));
  if (!o.keep) onCleanup(`temp dir ${tmp}`, () => removeDir(tmp));
  const snap = join(tmp, 'replibuild');
  const cli = snapshotReplibuild(REPO, snap);
  // The profiler needs node's own command line: the script bin/replibuild runs.
  const cliJs = join(snap, 'dist', 'client', 'cli.js');
  const dir = o.dir ? resolve(o.dir) : join(tmp, 'proj');
  if (existsSync(join(dir, 'replibuild.toml')) && o.edits > 0) throw new Error('--edits needs a generated tree: leave out --dir, or give --edits=0');
  const model = existsSync(join(dir, 'replibuild.toml')) ? null : generateProject(dir, { n: o.n, variant: o.variant });
  const profDir = join(tmp, 'prof');
  mkdirSync(profDir);
  const env = replibuildEnv(o.cache ? resolve(o.cache) : join(tmp, 'cache'));
  const guard = guardDaemons(cli, dir, env);
  const phases = [];
  const run = (phase, cliArgs, profEnv) => {
    const pd = join(profDir, phase);
    mkdirSync(pd, { recursive: true });
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, [`--cpu-prof`, `--cpu-prof-dir=${pd}`, cliJs, ...cliArgs, '-C', dir], {
      env: { ...env, ...profEnv },
      encoding: 'utf8',
      maxBuffer: 64 << 20,
    });
    const secs = Number(process.hrtime.bigint() - t0) / 1e9;
    phases.push({ phase, secs, ok: r.status === 0, out: r.stdout.trim().split('\n').pop() });
    process.stderr.write(`[profile] ${phase}: ${secs.toFixed(3)} s ${r.status === 0 ? '' : 'FAILED ' + r.stderr.slice(-400)}\n`);
    return pd;
  };
  try {
    // The daemons inherit NODE_OPTIONS from `start`: each writes its profile at shutdown.
    const daemonProf = join(profDir, 'daemons');
    mkdirSync(daemonProf);
    const preload = fileURLToPath(new URL('./cpu-prof-preload.cjs', import.meta.url));
    const profiled = { NODE_OPTIONS: `--require ${preload}`, BENCH_CPU_PROF_DIR: daemonProf };
    const ok = (phase) => phases.find((p) => p.phase === phase)?.ok;
    run('start', ['start'], o.daemons === 'all' ? profiled : {});
    guard.remember();
    if (!ok('start')) throw new Error('replibuild start failed');
    run('cold', ['compile', '--json']);
    if (o.daemons !== 'all') {
      run('stop-unprofiled', ['stop']);
      run('restart', ['start'], profiled);
      guard.remember();
      run('after-restart', ['compile', '--json']);
    }
    for (let i = 0; i < o.cleans; i++) {
      for (const d of ['build', join('.replibuild', 'state')]) removeDir(join(dir, d));
      run(`clean-${i}`, ['compile', '--json']);
    }
    for (let i = 0; i < o.noops; i++) run(`noop-${i}`, ['compile', '--json']);
    for (let i = 0; i < o.edits; i++) {
      editTu(model, (i * 7919 + 3) % o.n);
      run(`edit-${i}`, ['compile', '--json']);
    }
    run('stop', ['stop']);
    console.log(`# replibuild profile: ${o.n} TUs (${o.variant}), ${new Date().toISOString()}`);
    console.log('\n| phase | seconds | summary |\n| --- | --- | --- |');
    for (const p of phases) console.log(`| ${p.phase} | ${p.secs.toFixed(3)} | ${p.ok ? p.out : 'FAILED'} |`);
    const cliProfile = (phase) => readdirSync(join(profDir, phase)).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(profDir, phase, f));
    const root = join(snap, 'dist');
    const last = (prefix, count) => (count > 0 ? [`${prefix}-${Math.min(1, count - 1)}`] : []);
    for (const phase of [...last('clean', o.cleans), ...last('noop', o.noops), ...last('edit', o.edits), 'cold']) {
      for (const f of cliProfile(phase)) print(`CLI, ${phase}`, summarizeProfile(f, root), o.top);
    }
    for (const f of readdirSync(daemonProf).filter((x) => x.endsWith('.cpuprofile'))) {
      const p = join(daemonProf, f);
      // Which daemon: its profile holds the daemon's entry (its bundle, or tsc's main module).
      const text = readFileSync(p, 'utf8');
      const name = ['setup', 'discovery', 'compilation', 'orchestrator'].find((d) => text.includes(`daemon-bundle/${d}.cjs`) || text.includes(`daemons/${d}/main.js`)) ?? f;
      print(`daemon ${name} (${o.daemons === 'all' ? 'whole life' : 'restart, no-ops and edits'})`, summarizeProfile(p, root), o.top);
    }
    if (o.keep) console.log(`\nprofiles kept in ${profDir}`);
  } finally {
    guard.stop();
    runCleanups();
  }
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  runCleanups();
  process.exit(1);
});
