#!/usr/bin/env node
// replibuild's benchmark suite against make, ninja, ccache and sccache.
//
//   npm run bench                  full run (N = 200, no-op scaling at 20 / 2,000 / 20,000, googletest)
//   npm run bench -- --quick       under 5 minutes (N = 16, scaling at 20 / 2,000, no googletest)
//
// Options: --only=synthetic,second-machine,distcc,scaling,googletest,tokens,cold-order,warm,pch (the last three: not in the default run) --warm-flags=-O2,-g
//          --pch-trees=heavy,googletest,synthetic (pch suite; synthetic has --n TUs)   --pch-tus=40 (its header-heavy tree's short TUs)
//           --n=200   --sizes=20,2000,20000
//          --scale-tools=ninja,rb-daemon,make (the scaling suite's tools, in priority order)   --scale-make-max=2000 (make only up to this size)
//          --reps=cold:1,noop:5,...  (keys: cold noop edit-cpp edit-header comment-header
//          warm-clean second-machine distcc scale-noop scale-edit gtest gtest-warm comment-longer pch-cold pch-big pch-gtest pch-noop pch-edit)   --jobs=2   --no-install   --keep (temp dirs)
//          --googletest (also in --quick)   --out=BENCHMARKS.md   --json=bench/results.json
//          --merge (keep the other suites' results from the existing results.json)
//          --render-only (rewrite BENCHMARKS.md from results.json, measuring nothing)
//          --check (exit 1 when a row misses its target by more than the run's noise; see check.mjs)
//          --budget=MIN (time budget: quick 4.6, full 55; scaling sizes that cannot fit are
//          skipped, a build still running at the deadline is stopped and reported)
//
// Writes BENCHMARKS.md at the repo root and bench/results.json; progress on stderr.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { calibrateTu } from './calibrate.mjs';
import { checkTargets } from './check.mjs';
import { onCleanup, removeDir, runCleanups } from './cleanup.mjs';
import { harnessOverhead } from './exec.mjs';
import { runColdOrder } from './cold-order.mjs';
import { runGoogletest } from './googletest.mjs';
import { renderMarkdown } from './report.mjs';
import { snapshotReplibuild } from './replibuild.mjs';
import { runScaling, runSynthetic } from './scenarios.mjs';
import { runSecondMachine } from './second-machine.mjs';
import { runTokens } from './tokens.mjs';
import { runWarm } from './warm.mjs';
import { runDistcc } from './distcc.mjs';
import { runPch } from './pch.mjs';
import { evaluateTargets } from './targets.mjs';
import { availability, ensureTools, toolVersions } from './tools.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ALL_TOOLS = ['rb-daemon', 'rb-local', 'make', 'ninja', 'ccache', 'sccache'];
const GTEST_TOOLS = ['rb-daemon', 'rb-local', 'ninja', 'ccache', 'sccache'];

function parseArgs(argv) {
  const o = { quick: false, install: true, keep: false, only: null, googletest: null };
  for (const a of argv) {
    const [k, v] = a.replace(/^--/, '').split('=');
    if (k === 'quick') o.quick = true;
    else if (k === 'no-install') o.install = false;
    else if (k === 'keep') o.keep = true;
    else if (k === 'googletest') o.googletest = true;
    else if (k === 'merge') o.merge = true;
    else if (k === 'render-only') o.renderOnly = true;
    else if (k === 'check') o.check = true;
    else if (k === 'only') o.only = v.split(',');
    else if (k === 'n') o.n = Number(v);
    else if (k === 'sizes') o.sizes = v.split(',').map(Number);
    else if (k === 'scale-tools') o.scaleTools = v.split(',');
    else if (k === 'scale-make-max') o.scaleMakeMax = Number(v);
    else if (k === 'reps') o.reps = Object.fromEntries(v.split(',').map((kv) => kv.split(':')).map(([a, b]) => [a, Number(b)]));
    else if (k === 'jobs') o.jobs = Number(v);
    else if (k === 'warm-flags') o.warmFlags = v.split(',');
    else if (k === 'pch-trees') o.pchTrees = v.split(',');
    else if (k === 'pch-tus') o.pchTus = Number(v);
    else if (k === 'budget') o.budget = Number(v);
    else if (k === 'out') o.out = v;
    else if (k === 'json') o.json = v;
    else if (k === 'help' || k === 'h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 17).map((l) => l.replace(/^\/\/ ?/, '')).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  const reps = o.quick
    ? { cold: 1, noop: 5, 'edit-cpp': 3, 'edit-header': 1, 'comment-header': 1, 'warm-clean': 1, 'second-machine': 2, distcc: 1, 'scale-noop': 5, 'scale-edit': 1, gtest: 1, 'gtest-warm': 2, 'comment-longer': 1, 'pch-cold': 1, 'pch-big': 1, 'pch-gtest': 1, 'pch-noop': 3, 'pch-edit': 1 }
    : { cold: 2, noop: 10, 'edit-cpp': 5, 'edit-header': 1, 'comment-header': 3, 'warm-clean': 3, 'second-machine': 3, distcc: 2, 'scale-noop': 7, 'scale-edit': 3, gtest: 1, 'gtest-warm': 5, 'comment-longer': 3, 'pch-cold': 3, 'pch-big': 2, 'pch-gtest': 1, 'pch-noop': 5, 'pch-edit': 3 };
  for (const [k, v] of Object.entries(o.reps ?? {})) {
    if (!(k in reps) || !(v >= 0)) throw new Error(`--reps: unknown key or bad count ${k}:${v}`);
    reps[k] = v;
  }
  return {
    ...o,
    jobs: o.jobs ?? 2,
    n: o.n ?? (o.quick ? 16 : 200),
    budgetMin: o.budget ?? (o.quick ? 4.6 : 55),
    // Quick mode leaves make out of the scaling suite (its no-op is no target) to stay under 5 minutes.
    // In priority order: a cold build that meets the deadline is cut short, so make comes last.
    scaleTools: o.scaleTools ?? (o.quick ? ['ninja', 'rb-daemon'] : ['ninja', 'rb-daemon', 'make']),
    sizes: o.sizes ?? (o.quick ? [20, 2000] : [20, 2000, 20000]),
    reps,
    suites: o.only ?? ['synthetic', 'second-machine', 'distcc', ...(o.quick && !o.googletest ? [] : ['googletest']), 'scaling', 'tokens'],
    out: resolve(REPO, o.out ?? 'BENCHMARKS.md'),
    json: resolve(REPO, o.json ?? 'bench/results.json'),
  };
}

function cpuModel() {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  } catch {
    return cpus()[0]?.model ?? 'unknown';
  }
}

/** Which replibuild was measured: the commit, how many files differ from it, when dist/ was built. */
function replibuildSource() {
  const git = (args) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  const head = git(['rev-parse', '--short', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--', '.', ':!bench', ':!BENCHMARKS.md']);
  let built = null;
  try {
    built = statSync(join(REPO, 'dist', 'client', 'cli.js')).mtime.toISOString();
  } catch {
    /* not built */
  }
  return {
    commit: head.status === 0 ? head.stdout.trim() : null,
    uncommitted_files: dirty.status === 0 ? dirty.stdout.split('\n').filter(Boolean).length : null,
    dist_built: built,
  };
}

function nproc() {
  try {
    return (process.availableParallelism?.() ?? cpus().length);
  } catch {
    return cpus().length;
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.renderOnly) {
    const results = JSON.parse(readFileSync(opts.json, 'utf8'));
    results.targets = evaluateTargets(results);
    writeFileSync(opts.json, JSON.stringify(results, null, 1) + '\n');
    writeFileSync(opts.out, renderMarkdown(results) + '\n');
    process.stderr.write(`[bench] rewrote ${opts.out} from ${opts.json}\n`);
    if (opts.check) guard(results.targets);
    return;
  }
  const t0 = Date.now();
  const log = (msg) => process.stderr.write(`[bench ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}\n`);
  const loadStart = loadavg().map((x) => x.toFixed(2));

  log(`${opts.quick ? 'quick' : 'full'} run: suites ${opts.suites.join(', ')}; N=${opts.n}; sizes ${opts.sizes.join(', ')}; -j${opts.jobs}`);
  const install = ensureTools({ install: opts.install, log });
  if (install.install_error) log(`install: ${install.install_error}`);

  const tmp = mkdtempSync(join(tmpdir(), 'replibuild-bench-'));
  if (!opts.keep) onCleanup(`temp dir ${tmp}`, () => removeDir(tmp));
  else log(`keeping temp dir ${tmp}`);
  const logDir = join(tmp, 'logs');
  mkdirSync(logDir, { recursive: true });
  const cli = snapshotReplibuild(REPO, join(tmp, 'replibuild'));
  const avail = availability();
  const versions = toolVersions(cli);
  log(`tools: ${Object.entries(versions).map(([k, v]) => `${k} ${v ? v.replace(/^.*?(\d[\w.~+-]*).*$/, '$1') : 'MISSING'}`).join(', ')}`);

  const results = {
    meta: {
      command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
      date: new Date().toISOString(),
      quick: opts.quick,
      jobs: opts.jobs,
      tools: ALL_TOOLS,
      options: { n: opts.n, sizes: opts.sizes, reps: opts.reps, suites: opts.suites, budget_min: opts.budgetMin, scaling_tools: opts.scaleTools, scale_make_max: opts.scaleMakeMax ?? null },
      machine: { nproc: nproc(), cpu_model: cpuModel(), mem_bytes: totalmem(), os: `Linux ${release()}`, load_start: loadStart },
      versions,
      replibuild_source: replibuildSource(),
      install,
      availability: avail,
      harness_overhead: await harnessOverhead(logDir),
      calibration: null,
    },
    synthetic: null,
    'second-machine': null,
    warm: null,
    distcc: null,
    scaling: null,
    googletest: null,
    tokens: null,
    'cold-order': null,
    pch: null,
    targets: [],
    errors: [],
  };
  if (opts.merge) {
    // Suites not run now keep their figures from the previous run, marked as such.
    try {
      const prev = JSON.parse(readFileSync(opts.json, 'utf8'));
      const kept = ['synthetic', 'second-machine', 'distcc', 'scaling', 'googletest', 'tokens', 'cold-order', 'warm', 'pch'].filter((k) => !opts.suites.includes(k) && prev[k]);
      for (const k of kept) results[k] = prev[k];
      results.meta.merged = [...(prev.meta.merged ?? []).filter((m) => kept.includes(m.suite)), ...kept.filter((k) => !(prev.meta.merged ?? []).some((m) => m.suite === k)).map((k) => ({ suite: k, date: prev.meta.date, command: prev.meta.command, load_start: prev.meta.machine.load_start, replibuild_source: prev.meta.replibuild_source ?? null, calibration: prev.meta.calibration ?? null }))];
      log(`merging ${kept.join(', ') || 'nothing'} from ${opts.json}`);
    } catch (e) {
      log(`--merge: cannot read ${opts.json}: ${e.message}`);
    }
  }
  const deadline = t0 + opts.budgetMin * 60_000;
  // Every command's time limit: what is left of the budget (at least a minute, at most 40).
  const timeoutMs = () => Math.min(40 * 60_000, Math.max(60_000, deadline - Date.now()));
  const ctx = { tmp, cli, jobs: opts.jobs, logDir, availability: avail, log, timeoutMs, deadline };

  const write = () => {
    results.meta.machine.load_end = loadavg().map((x) => x.toFixed(2));
    results.meta.elapsed_seconds = (Date.now() - t0) / 1000;
    results.targets = evaluateTargets(results);
    mkdirSync(dirname(opts.json), { recursive: true });
    writeFileSync(opts.json, JSON.stringify(results, null, 1) + '\n');
    writeFileSync(opts.out, renderMarkdown(results) + '\n');
  };

  try {
    if (!avail['g++']) throw new Error('g++ not found: nothing can be benchmarked');
    const cal = calibrateTu(join(tmp, 'calibrate'));
    results.meta.calibration = cal;
    log(cal.ok ? `one heavy TU: ${cal.min.toFixed(3)} s (min), ${cal.median.toFixed(3)} s (median) with ${cal.command}` : `calibration failed: ${cal.error}`);

    const suites = {
      synthetic: () => runSynthetic({ ...ctx, n: opts.n, tools: ALL_TOOLS, reps: opts.reps }),
      warm: () => runWarm({ ...ctx, n: opts.n, reps: opts.reps, warmFlags: opts.warmFlags }),
      'second-machine': () => runSecondMachine({ ...ctx, n: opts.n, reps: opts.reps['second-machine'] }),
      distcc: () => runDistcc({ ...ctx, n: opts.n, reps: opts.reps.distcc }),
      scaling: () =>
        runScaling({ ...ctx, sizes: opts.sizes, tools: opts.scaleTools, makeMax: opts.scaleMakeMax, reps: { scaleNoop: opts.reps['scale-noop'], scaleEdit: opts.reps['scale-edit'] } }),
      tokens: () => runTokens({ ...ctx, reps: opts.reps['comment-longer'] }),
      // Issue 17's header-heavy tree; only on request (--only=cold-order).
      'cold-order': () => runColdOrder({ ...ctx, reps: opts.reps.cold }),
      // Issue 17's automatic PCH against ninja on three trees; only on request (--only=pch).
      pch: () =>
        runPch({
          ...ctx,
          n: opts.n,
          heavyTus: opts.pchTus ?? (opts.quick ? 8 : 40),
          quick: opts.quick,
          trees: opts.pchTrees,
          reps: { cold: opts.reps['pch-cold'], big: opts.reps['pch-big'], gtest: opts.reps['pch-gtest'], noop: opts.reps['pch-noop'], edit: opts.reps['pch-edit'] },
        }),
      googletest: async () => {
        const left = (deadline - Date.now()) / 60_000;
        if (left < 15) return { unavailable: `skipped: ${left.toFixed(1)} min of the ${opts.budgetMin} min budget left, googletest needs about 15` };
        return {
        ...(await runGoogletest({
          ...ctx,
          tools: GTEST_TOOLS,
          reps: { cold: opts.reps.gtest, noop: opts.reps.noop, small: Math.min(opts.reps['edit-cpp'], 3), warm: opts.reps['gtest-warm'] },
        })),
          tools: GTEST_TOOLS,
        };
      },
    };
    for (const name of opts.suites) {
      if (!suites[name]) {
        results.errors.push(`unknown suite ${name}`);
        continue;
      }
      log(`=== ${name} ===`);
      // A long suite may hand over what it has so far (pch: after each tree), so a run
      // stopped halfway keeps the finished part.
      ctx.savePartial = (partial) => {
        results[name] = partial;
        write();
      };
      try {
        results[name] = await suites[name]();
      } catch (e) {
        results[name] = { error: e.message };
        results.errors.push(`${name}: ${e.stack ?? e.message}`);
        log(`${name} failed: ${e.stack ?? e.message}`);
      }
      write(); // partial results survive a later crash
    }
  } finally {
    write();
    log(`wrote ${opts.out} and ${opts.json} (${((Date.now() - t0) / 60000).toFixed(1)} min)`);
    for (const t of results.targets) log(`target ${t.status.padEnd(12)} ${t.target}: ${t.measured ?? ''}`);
    runCleanups();
    if (opts.check) guard(results.targets);
  }
}

/** --check: print each row's verdict; exit code 1 when one fell past its target beyond the noise. */
function guard(targets) {
  const { failed, lines } = checkTargets(targets);
  for (const l of lines) process.stderr.write(`[bench check] ${l}\n`);
  process.stderr.write(`[bench check] ${failed.length ? `${failed.length} row(s) past their target beyond this run's noise: ${failed.map((t) => t.id).join(', ')}` : 'no row past its target beyond the noise'}\n`);
  if (failed.length) process.exitCode = 1;
}

main().catch((e) => {
  process.stderr.write(`[bench] ${e.stack ?? e.message}\n`);
  runCleanups();
  process.exit(1);
});
