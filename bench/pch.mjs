// Issue 17's automatic precompiled headers, measured (`--only=pch`): cold builds side
// by side in one run, each tool on its own copy, of three trees:
//   heavy      the header-heavy tree of bench/cold-order.mjs (40 short TUs that each
//              start with eight heavy standard headers, two slow ones, main.cpp)
//   googletest googletest's own test programs (Debian's sources, -Dgtest_build_tests=ON,
//              imported by `replibuild init --from-cmake`; a representative subset)
//   synthetic  the N-TU tree of bench/generate.mjs (200 in a full run): issue 16's
//              "cold ≤ 1.03× ninja at 200 TUs" row as well
// Rows: ninja -j2 (CMake), on the heavy tree also ninja -j2 with the same headers
// precompiled by hand, and replibuild's daemons with pch = "off" and pch = "auto".
// Then no-op and one-edit rows (pch auto against off: "unchanged within noise"), and
// next to each cold row the physical floor from the compile times replibuild recorded.
// A replibuild without the `pch` key runs its "off" row without it (today's build)
// and reports the "auto" row as not run.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autogroupEnabled, makeBuilder, SESSION_PER_JOB_AVAILABLE, TOOL_LABELS } from './builders.mjs';
import { removeDir } from './cleanup.mjs';
import { editHeavyTu, expected, floorFrom, generate as generateHeavy } from './cold-order.mjs';
import { cloneModel, daemonConfigToml, editTu, generateProject } from './generate.mjs';
import { measureScenario } from './measure.mjs';
import { cliSync, replibuildEnv, statusJson } from './replibuild.mjs';
import { teardownAll, verifyProgram } from './scenarios.mjs';
import { GOOGLETEST_SRC } from './tools.mjs';

// The order they run in: the 1.4× target first, googletest (the longest) last.
export const PCH_TREES = ['heavy', 'synthetic', 'googletest'];
export const PCH_LABELS = {
  ninja: TOOL_LABELS.ninja,
  'ninja-pch': 'ninja -j2 + hand-written PCH (target_precompile_headers)',
  'rb-off': 'replibuild (daemons), pch = "off"',
  'rb-auto': 'replibuild (daemons), pch = "auto"',
};
const RB_MODES = { 'rb-off': 'off', 'rb-auto': 'auto' };

// googletest's test programs built here, 8 of its 44 (10 TUs, plus gtest-all.cc and
// gtest_main.cc, which they link): small and large (message-test 158 lines, printers-test
// 1,956), death tests, parameterized and typed tests, TUs that start with gtest.h and
// ones that start with standard headers. Left out for time: gtest_unittest (7,752 lines,
// the slowest TU by far), gtest_pred_impl_unittest, port-test, listener-test and the
// programs only googletest's Python scripts drive. Three tools build the set each rep
// on a shared 2-core machine.
export const GTEST_PROGRAMS = [
  'googletest-death-test-test',
  'googletest-filepath-test',
  'googletest-message-test',
  'googletest-options-test',
  'googletest-param-test-test',
  'googletest-printers-test',
  'gtest-typed-test_test',
  'gtest_main_unittest',
];
const GTEST_QUICK = ['googletest-message-test', 'gtest_main_unittest'];
const GTEST_CMAKE_ARGS = ['-Dgtest_build_tests=ON', '-DCMAKE_BUILD_TYPE=Release'];
const GTEST_EDITED = { program: 'googletest-message-test', source: 'googletest/test/googletest-message-test.cc' };

/** Sets `pch = "<mode>"` in replibuild.toml's [compiler] table (adding the table if need be). */
export function setPch(dir, mode) {
  const file = join(dir, 'replibuild.toml');
  const text = readFileSync(file, 'utf8');
  const line = `pch = "${mode}"`;
  let out;
  if (/^\[compiler\][ \t]*$/m.test(text)) out = text.replace(/^\[compiler\][ \t]*$/m, `[compiler]\n${line}`);
  else if (/^\[(targets|profiles)[.\]]/m.test(text)) out = text.replace(/^\[(targets|profiles)[.\]]/m, (m) => `[compiler]\n${line}\n\n${m}`);
  else out = `${text}\n[compiler]\n${line}\n`;
  writeFileSync(file, out);
}

/** Whether this replibuild takes the `pch` key: a one-TU project with pch = "off" built
 *  in-process. {ok} or {ok: false, why}. */
export function pchKeySupport(cli, scratch) {
  const dir = join(scratch, 'pch-probe');
  removeDir(dir);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'main.cpp'), 'int main() { return 0; }\n');
  writeFileSync(join(dir, 'replibuild.toml'), '[project]\nname = "probe"\n\n[targets.app]\nkind = "executable"\nsources = ["main.cpp"]\n');
  setPch(dir, 'off');
  const r = cliSync(cli, ['compile', '-C', dir, '--no-daemon', '--json'], { env: replibuildEnv(join(dir, 'cache')) });
  removeDir(dir);
  if (r.ok) return { ok: true };
  const said = `${r.stderr}${r.stdout}`.split('\n').find((l) => /pch/.test(l));
  // Without the probe's temp path: "error: unknown key "compiler.pch" (known keys here: ...)".
  const msg = said?.replace(/^.*?(error:)/, '$1').trim().slice(0, 120);
  return { ok: false, why: msg ? `this replibuild has no pch key (${msg})` : `the pch probe build failed: ${(r.error ?? r.stderr).trim().slice(0, 200)}` };
}

/** One tool's copy of a tree: `prepare(dir)` writes it; replibuild rows get their pch mode. */
async function treeBuilder(tool, ctx, tag, prepare, extra = {}) {
  const dir = join(ctx.tmp, `pch-${tag}-${tool}`);
  const scratch = `${dir}-scratch`;
  mkdirSync(scratch, { recursive: true });
  const rb = tool in RB_MODES;
  if (rb && tool === 'rb-auto' && !ctx.support.ok) return { tool, label: PCH_LABELS[tool], dir, scratch, unavailable: ctx.support.why };
  await prepare(dir, tool);
  if (rb && ctx.support.ok) setPch(dir, RB_MODES[tool]);
  const b = await makeBuilder(rb ? 'rb-daemon' : 'ninja', { dir, cli: ctx.cli, jobs: ctx.jobs, logDir: ctx.logDir, scratch, availability: ctx.availability, timeoutMs: ctx.timeoutMs, sessionPerJob: ctx.sessionPerJob, ...extra });
  Object.assign(b, { tool, label: PCH_LABELS[tool], scratch });
  if (!b.unavailable) {
    try {
      await b.setup();
    } catch (e) {
      b.unavailable = `setup failed: ${e.message}`.slice(0, 300);
      ctx.log(`  ${b.label}: ${b.unavailable}`);
    }
  }
  return b;
}

/** What the daemons of the pch = "auto" row say about PCH in `status --json` (any key naming it). */
function pchStatus(ctx, b) {
  if (!b || b.unavailable) return null;
  const st = statusJson(ctx.cli, b.dir, b.env);
  const found = {};
  const walk = (v, path) => {
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (/pch/i.test(k)) found[`${path}${k}`] = x;
      else walk(x, `${path}${k}.`);
    }
  };
  for (const d of st?.daemons ?? []) walk(d.details, `${d.name}.`);
  return Object.keys(found).length ? found : null;
}

/** Cold (each rep from nothing built and an empty cache), no-op and one-edit scenarios. */
async function measureTree(ctx, builders, { verify, edit, coldReps, noopReps = ctx.reps.noop, editReps, minTus }) {
  const { log } = ctx;
  const out = { scenarios: {}, floors: {}, pch_status: null };
  // The hand-written PCH is the reference for what a PCH can give, not a target's row: one rep.
  const repsFor = (tool) => (tool === 'ninja-pch' ? 1 : Infinity);
  out.scenarios.cold = await measureScenario(builders, { name: 'cold', reps: coldReps, repsFor, before: (b, rep) => (rep > 0 ? b.resetCold() : undefined), verify }, log);
  for (const b of builders) if (b.tool in RB_MODES && !b.unavailable) out.floors[b.tool] = floorFrom(b.dir, ctx.jobs, minTus);
  out.pch_status = pchStatus(ctx, builders.find((b) => b.tool === 'rb-auto'));
  out.scenarios.noop = await measureScenario(builders, { name: 'noop', reps: noopReps, verify }, log);
  if (edit && editReps > 0) out.scenarios['edit-cpp'] = await measureScenario(builders, { name: 'edit-cpp', reps: editReps, before: edit, verify }, log);
  return out;
}

async function runHeavy(ctx) {
  const n = ctx.heavyTus;
  const builders = [];
  try {
    for (const tool of ['ninja', 'ninja-pch', 'rb-off', 'rb-auto']) {
      const b = await treeBuilder(tool, ctx, 'heavy', (dir) => generateHeavy(dir, { pch: tool === 'ninja-pch', n, jobs: ctx.jobs }));
      b.biases = new Map();
      builders.push(b);
    }
    const verify = (b) => {
      const got = spawnSync(join(b.dir, 'build/bin/app'), { encoding: 'utf8', timeout: 30_000 }).stdout?.trim();
      const want = expected(n, b.biases);
      return { correct: got === want, got, want };
    };
    const edit = (b, rep) => editHeavyTu(b.dir, (rep * 7 + 3) % n, b.biases);
    const r = await measureTree(ctx, builders, { verify, edit, coldReps: ctx.reps.cold, editReps: ctx.reps.edit, minTus: n });
    return { tus: n + 3, short_tus: n, ...r };
  } finally {
    await teardownAll(builders);
  }
}

async function runSyntheticTree(ctx) {
  const baseDir = join(ctx.tmp, 'pch-synthetic-base');
  const model = generateProject(baseDir, { n: ctx.n, variant: 'heavy', jobs: ctx.jobs });
  const builders = [];
  try {
    for (const tool of ['ninja', 'rb-off', 'rb-auto']) {
      const b = await treeBuilder(tool, ctx, 'synthetic', (dir) => cpSync(baseDir, dir, { recursive: true }));
      b.model = cloneModel(model, b.dir);
      builders.push(b);
    }
    const edit = (b, rep) => editTu(b.model, (rep * 37 + 11) % ctx.n);
    const r = await measureTree(ctx, builders, { verify: verifyProgram, edit, coldReps: ctx.reps.big, editReps: ctx.reps.edit, minTus: ctx.n });
    return { tus: ctx.n + 1, ...r };
  } finally {
    await teardownAll(builders);
    removeDir(baseDir);
  }
}

function gtestBinary(b, name) {
  return b.tool === 'ninja' ? join(b.dir, 'build', 'googletest', name) : join(b.dir, 'build', 'bin', name);
}

/** Every program of the set passes; the last edit's symbol is in the program it went into. */
function verifyGtest(b) {
  for (const name of b.programs) {
    const r = spawnSync(gtestBinary(b, name), [], { encoding: 'utf8', timeout: 120_000, cwd: b.dir });
    if (r.status !== 0 || !/\[ {2}PASSED {2}\]/.test(r.stdout)) return { correct: false, got: `${name} exit ${r.status ?? r.error?.message}`, want: `${name} passes` };
  }
  if (b.editCount > 0) {
    const sym = `bench_edit_${b.editCount}`;
    const nm = spawnSync('nm', [gtestBinary(b, GTEST_EDITED.program)], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (!nm.stdout?.includes(sym)) return { correct: false, got: `no ${sym} in ${GTEST_EDITED.program}`, want: `${sym} linked in` };
  }
  return { correct: true };
}

async function runGtestTree(ctx) {
  if (!existsSync(join(GOOGLETEST_SRC, 'googletest', 'src', 'gtest-all.cc'))) return { unavailable: `${GOOGLETEST_SRC} not found (Debian package googletest)` };
  const programs = ctx.quick ? GTEST_QUICK : GTEST_PROGRAMS;
  const builders = [];
  const prepare = async (dir, tool) => {
    cpSync(GOOGLETEST_SRC, dir, { recursive: true });
    if (tool === 'ninja') return;
    // The import is the user's first step, not part of the build: untimed.
    const init = cliSync(ctx.cli, ['init', '--from-cmake', '-C', dir, '--', ...GTEST_CMAKE_ARGS], { env: replibuildEnv(join(`${dir}-scratch`, 'init-cache')), timeoutMs: 300_000 });
    if (!init.ok) throw new Error(`replibuild init --from-cmake failed: ${(init.stderr || init.error || '').trim().split('\n').slice(-4).join(' ')}`);
    // Free ports as init writes them, plus -j and a build timeout a loaded machine needs.
    writeFileSync(join(dir, '.replibuild', 'daemon_config.toml'), daemonConfigToml(ctx.jobs));
  };
  try {
    for (const tool of ['ninja', 'rb-off', 'rb-auto']) {
      let b;
      try {
        b = await treeBuilder(tool, ctx, 'gtest', prepare, { cmakeArgs: GTEST_CMAKE_ARGS, targets: programs });
      } catch (e) {
        const dir = join(ctx.tmp, `pch-gtest-${tool}`);
        b = { tool, label: PCH_LABELS[tool], dir, scratch: `${dir}-scratch`, unavailable: e.message };
      }
      Object.assign(b, { programs, editCount: 0 });
      builders.push(b);
    }
    const edit = (b) => {
      b.editCount += 1;
      appendFileSync(join(b.dir, GTEST_EDITED.source), `\nint bench_edit_${b.editCount}() { return ${b.editCount}; }\n`);
    };
    const r = await measureTree(ctx, builders, { verify: verifyGtest, edit, coldReps: ctx.reps.gtest ?? ctx.reps.big, noopReps: Math.min(ctx.reps.noop, 3), editReps: Math.min(ctx.reps.edit, 2), minTus: programs.length });
    return { programs, cmake_args: GTEST_CMAKE_ARGS, edited: GTEST_EDITED.source, source: GOOGLETEST_SRC, ...r };
  } finally {
    await teardownAll(builders);
  }
}

/**
 * ctx: the run's context plus {n (synthetic TUs), heavyTus, quick, trees,
 * reps: {cold (heavy tree), big (synthetic cold), gtest (googletest cold), noop, edit}},
 * savePartial (the run's: results so far, after each tree).
 */
export async function runPch(ctx) {
  const support = pchKeySupport(ctx.cli, ctx.tmp);
  ctx.log(support.ok ? 'pch: this replibuild takes pch = "off" / "auto"' : `pch: ${support.why}; the "off" rows run today's build without the key`);
  const sessionPerJob = SESSION_PER_JOB_AVAILABLE;
  const c = { ...ctx, support, sessionPerJob };
  const result = { pch_key: support.ok, pch_key_note: support.ok ? null : support.why, jobs: ctx.jobs, reps: ctx.reps, labels: PCH_LABELS, autogroup: autogroupEnabled(), ninja_session_per_job: sessionPerJob, trees: {} };
  const runners = { heavy: runHeavy, googletest: runGtestTree, synthetic: runSyntheticTree };
  for (const tree of ctx.trees ?? PCH_TREES) {
    if (!runners[tree]) {
      result.trees[tree] = { error: `unknown tree ${tree} (one of ${PCH_TREES.join(', ')})` };
      continue;
    }
    if (ctx.deadline && Date.now() > ctx.deadline) {
      result.trees[tree] = { unavailable: 'skipped: the run\'s time budget is spent' };
      continue;
    }
    ctx.log(`pch: ${tree} tree`);
    try {
      result.trees[tree] = await runners[tree](c);
    } catch (e) {
      result.trees[tree] = { error: e.message };
      ctx.log(`pch ${tree} failed: ${e.stack ?? e.message}`);
    }
    ctx.savePartial?.(result);
  }
  return result;
}
