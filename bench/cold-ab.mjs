#!/usr/bin/env node
// Cold builds of the synthetic tree, ninja -j2 against replibuild (daemons, empty cache)
// of one or more built checkouts, alternating within each rep so the machine's load hits
// every tool alike: the quick A/B for issue 16's cold target (the full synthetic suite
// takes 12 minutes). Prints each tool's wall times, median, ratio to ninja, and the
// daemons' CPU per cold build (utime + stime until the CLI answered).
//
//   node bench/cold-ab.mjs [--n=200] [--reps=3] [--jobs=2] [--repos=.,../main-base,.@NAME=value]
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeBuilder } from './builders.mjs';
import { onCleanup, removeDir, runCleanups } from './cleanup.mjs';
import { generateProject } from './generate.mjs';
import { snapshotReplibuild, statusJson } from './replibuild.mjs';
import { median } from './stats.mjs';
import { availability } from './tools.mjs';

function args() {
  const o = { n: 200, reps: 3, jobs: 2, repos: '.' };
  for (const a of process.argv.slice(2)) {
    const [k, ...rest] = a.replace(/^--/, '').split('=');
    const v = rest.join('=');
    if (!(k in o)) throw new Error(`unknown option ${a}`);
    o[k] = typeof o[k] === 'number' ? Number(v) : v;
  }
  return o;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux
function cpuMs(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const o = args();
const tmp = mkdtempSync(join(tmpdir(), 'replibuild-cold-ab-'));
onCleanup(`temp dir ${tmp}`, () => removeDir(tmp));
const logDir = join(tmp, 'logs');
mkdirSync(logDir, { recursive: true });
const base = join(tmp, 'base');
generateProject(base, { n: o.n, variant: 'heavy', jobs: o.jobs });
const avail = availability();
const timeoutMs = 900_000;

const entries = [{ name: 'ninja', tool: 'ninja', cli: null }];
// A repo may carry one environment setting for its daemons: `.@REPLIBUILD_SPAWN_HELPER=0`.
o.repos.split(',').forEach((spec, i) => {
  const [r, set] = spec.split('@');
  const env = set ? Object.fromEntries([set.split('=')]) : {};
  entries.push({ name: `rb:${spec}`, tool: 'rb-daemon', env, cli: snapshotReplibuild(resolve(r), join(tmp, `replibuild-${i}`)) });
});
const loads = [load()];
try {
  for (const [i, e] of entries.entries()) {
    const dir = join(tmp, `tree-${i}`);
    cpSync(base, dir, { recursive: true });
    const scratch = join(tmp, `scratch-${i}`);
    mkdirSync(scratch, { recursive: true });
    e.b = await makeBuilder(e.tool, { dir, cli: e.cli, jobs: o.jobs, logDir, scratch, availability: avail, timeoutMs });
    if (e.b.unavailable) throw new Error(`${e.name}: ${e.b.unavailable}`);
    if (e.env) Object.assign(e.b.env, e.env);
    e.wall = [];
    e.cpu = [];
  }
  for (let rep = 0; rep < o.reps; rep++) {
    // Rotate the order each rep: no tool always follows the same one.
    const order = entries.map((_, k) => entries[(k + rep) % entries.length]);
    for (const e of order) {
      await (e.tool === 'ninja' ? e.b.setup() : e.b.resetCold());
      const pids = e.tool === 'ninja' ? [] : (statusJson(e.cli, e.b.dir, e.b.env)?.daemons ?? []).map((d) => d.pid).filter(Boolean);
      const before = pids.map(cpuMs);
      const r = await e.b.build('cold');
      if (!r.ok) throw new Error(`${e.name} cold build failed: ${r.error ?? ''} ${r.tail ?? ''}`);
      if (e.tool !== 'ninja') {
        const s = r.summary?.summary ?? r.summary;
        if (s && s.cached) throw new Error(`${e.name}: a cold build had ${s.cached} hits`);
        e.cpu.push(pids.reduce((t, p, k) => t + cpuMs(p) - before[k], 0));
        e.b.teardown();
      } else {
        removeDir(join(e.b.dir, 'build'));
      }
      e.wall.push(r.seconds);
      loads.push(load());
      console.error(`rep ${rep} ${e.name}: ${r.seconds.toFixed(2)} s (load ${load()})`);
    }
  }
  const ninja = median(entries[0].wall);
  console.log(`# cold builds, ${o.n} heavy TUs, -j${o.jobs}, ${o.reps} reps; load ${loads.join(' | ')}`);
  for (const e of entries) {
    const cpu = e.cpu.length ? `; daemons' CPU median ${median(e.cpu)} ms (${(median(e.cpu) / o.n).toFixed(1)} ms/TU), all ${e.cpu.join(' ')}` : '';
    console.log(`${e.name.padEnd(28)} median ${median(e.wall).toFixed(2)} s = ${(median(e.wall) / ninja).toFixed(3)}x ninja; all ${e.wall.map((w) => w.toFixed(2)).join(' ')}${cpu}`);
  }
} finally {
  for (const e of entries) e.b?.teardown?.();
  runCleanups();
}
