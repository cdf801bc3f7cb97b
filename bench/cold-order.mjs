// Issue 17's cold-build tree: 40 TUs that each start with the same eight heavy
// standard headers and have short bodies, plus two slow TUs (std::regex bodies)
// that come last in the config. In one run, each on its own copy:
//   ninja -j2 (CMake)                      the tool to beat
//   ninja -j2 + target_precompile_headers  what a precompiled header (written by
//                                          hand) gives: the room automatic PCH has
//   replibuild --no-daemon, cold           no build state: no recorded times
//   replibuild --no-daemon, times kept     objects and cache gone, build state kept:
//                                          the longest recorded work starts first
//   replibuild (daemons), cold
// and the physical floor of this tree at -j2 without a PCH: max(the slowest TU,
// the sum of the TU times / 2) + the link, from the compile times replibuild
// recorded in the last build.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBuilder, SESSION_PER_JOB_AVAILABLE, TOOL_LABELS } from './builders.mjs';
import { removeDir } from './cleanup.mjs';
import { daemonConfigToml } from './generate.mjs';
import { measureScenario } from './measure.mjs';
import { fmtSeconds } from './stats.mjs';

export const HEADERS = ['regex', 'iostream', 'map', 'string', 'vector', 'algorithm', 'functional', 'sstream'];
export const FLAGS = ['-O2'];
const N = 40;
export const SLOW = 2;

const LABELS = {
  ninja: TOOL_LABELS.ninja,
  'ninja-pch': 'ninja -j2 + hand-written PCH (CMake target_precompile_headers)',
  'rb-local': 'replibuild --no-daemon, cold (no recorded times)',
  'rb-local-timed': 'replibuild --no-daemon, cold with the build state kept (longest recorded work first)',
  'rb-daemon': 'replibuild (daemons), cold',
};

/** A short TU; `bias` is what an edit (editHeavyTu) added to its result. */
function tuText(i, bias = 0) {
  const inc = HEADERS.map((h) => `#include <${h}>`).join('\n');
  return `${inc}\nint f${i}(int x) {\n  std::vector<int> v{x, ${i}, 3};\n  std::sort(v.begin(), v.end());\n  return v[0] + v[2]${bias ? ` + ${bias}` : ''};\n}\n`;
}

function slowText(i) {
  const inc = HEADERS.map((h) => `#include <${h}>`).join('\n');
  const pats = Array.from({ length: 6 }, (_, k) => `  n += std::regex_search(s, std::regex("(a|b)*c${k}[0-9]+", std::regex::${k % 2 ? 'icase' : 'ECMAScript'}));`).join('\n');
  return `${inc}\nint f${i}(int x) {\n  std::string s = std::to_string(x) + "abc0123";\n  int n = 0;\n${pats}\n  std::wsmatch wm; std::wregex wr(L"x+"); std::wstring ws(L"xx");\n  n += std::regex_match(ws, wm, wr);\n  return n;\n}\n`;
}

const tuPath = (i) => `src/t${String(i).padStart(2, '0')}.cpp`;

/** The tree: src/tN.cpp (the slow ones last), src/main.cpp printing the sum, and
 *  .replibuild/daemon_config.toml (free ports, -j, a long build timeout).
 *  `n`: how many short TUs (default 40; fewer while iterating). */
export function generate(dir, { pch, n = N, jobs = 2 }) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, '.replibuild'), { recursive: true });
  writeFileSync(join(dir, '.replibuild', 'daemon_config.toml'), daemonConfigToml(jobs));
  const names = [];
  for (let i = 0; i < n + SLOW; i++) {
    const name = tuPath(i);
    writeFileSync(join(dir, name), i < n ? tuText(i) : slowText(i));
    names.push(name);
  }
  const decls = names.map((_, i) => `int f${i}(int);`).join('\n');
  const sum = names.map((_, i) => `f${i}(1)`).join(' + ');
  writeFileSync(join(dir, 'src/main.cpp'), `#include <cstdio>\n${decls}\nint main() { std::printf("%d\\n", ${sum}); return 0; }\n`);
  names.push('src/main.cpp');
  writeFileSync(
    join(dir, 'replibuild.toml'),
    `[project]\nname = "heavy"\nbuild_dir = "build"\n\n[compiler]\nstd = "c++17"\nflags = ${JSON.stringify(FLAGS)}\n\n[targets.app]\nkind = "executable"\nsources = ${JSON.stringify(names)}\n`,
  );
  writeFileSync(
    join(dir, 'CMakeLists.txt'),
    `cmake_minimum_required(VERSION 3.16)\nproject(heavy CXX)\nset(CMAKE_CXX_STANDARD 17)\nset(CMAKE_CXX_STANDARD_REQUIRED ON)\nset(CMAKE_CXX_EXTENSIONS OFF)\nset(CMAKE_CXX_FLAGS "${FLAGS.join(' ')}")\n` +
      `add_executable(app ${names.join(' ')})\nset_target_properties(app PROPERTIES RUNTIME_OUTPUT_DIRECTORY \${CMAKE_BINARY_DIR}/bin)\n` +
      (pch ? `target_precompile_headers(app PRIVATE ${HEADERS.map((h) => `<${h}>`).join(' ')})\n` : ''),
  );
}

/** What main prints: f(1) of a short TU is min + max of {1, i, 3} (plus its edits'
 *  bias); a slow one finds only "c0[0-9]+" in "1abc0123" and matches L"xx" against
 *  L"x+", so 2. */
export function expected(n = N, biases = new Map()) {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.min(1, i, 3) + Math.max(1, i, 3) + (biases.get(i) ?? 0);
  return String(sum + 2 * SLOW);
}

/** A real one-file edit of short TU i: its result goes up by one (biases: i -> total). */
export function editHeavyTu(dir, i, biases) {
  const bias = (biases.get(i) ?? 0) + 1;
  writeFileSync(join(dir, tuPath(i)), tuText(i, bias));
  biases.set(i, bias);
}

/**
 * The physical floor of a cold build at -j`jobs`, from the times the last replibuild
 * build recorded in its build state: max(the slowest TU, (the TU times plus every link
 * but the longest) / jobs) + the longest link. With one link that is max(slowest TU,
 * sum / jobs) + link. Null when fewer than `minTus` compile times are recorded.
 */
export function floorFrom(dir, jobs, minTus = N) {
  try {
    const st = JSON.parse(readFileSync(join(dir, '.replibuild/state/build-state.json'), 'utf8'));
    // Recent saves' records are appended to the log beside it (build-state-log.ts).
    const log = join(dir, '.replibuild/state/build-state.log');
    for (const line of existsSync(log) ? readFileSync(log, 'utf8').split('\n') : []) {
      if (!line) continue;
      const e = JSON.parse(line);
      for (const [k, v] of Object.entries(e.o ?? {})) v === null ? delete st.objects[k] : (st.objects[k] = v);
      for (const [k, v] of Object.entries(e.l ?? {})) v === null ? delete st.links[k] : (st.links[k] = v);
    }
    const ms = Object.values(st.objects).map((o) => o.compile_ms).filter((x) => typeof x === 'number');
    const links = Object.values(st.links).map((l) => l.link_ms).filter((x) => typeof x === 'number');
    if (ms.length < minTus) return null;
    const sum = ms.reduce((a, b) => a + b, 0);
    const link = links.length ? Math.max(...links) : 0;
    const otherLinks = links.reduce((a, b) => a + b, 0) - link;
    return {
      seconds: (Math.max(Math.max(...ms), (sum + otherLinks) / jobs) + link) / 1000,
      tu_sum_seconds: sum / 1000,
      tus: ms.length,
      slowest_tu_seconds: Math.max(...ms) / 1000,
      link_seconds: link / 1000,
      other_links_seconds: otherLinks / 1000,
    };
  } catch {
    return null;
  }
}

export async function runColdOrder(ctx) {
  const { tmp, log, jobs } = ctx;
  const reps = ctx.reps ?? 1;
  const builders = [];
  const want = expected();
  const sessionPerJob = SESSION_PER_JOB_AVAILABLE;
  try {
    for (const tool of Object.keys(LABELS)) {
      const dir = join(tmp, `cold-order-${tool}`);
      generate(dir, { pch: tool === 'ninja-pch', jobs });
      const scratch = join(tmp, `cold-order-${tool}-scratch`);
      mkdirSync(scratch, { recursive: true });
      const base = tool === 'ninja-pch' ? 'ninja' : tool === 'rb-local-timed' ? 'rb-local' : tool;
      // ninja's jobs each in a session of their own, as replibuild's (builders.mjs, SESSION_PER_JOB).
      const b = await makeBuilder(base, { ...ctx, dir, scratch, sessionPerJob });
      Object.assign(b, { tool, label: LABELS[tool], scratch });
      await b.setup?.();
      builders.push(b);
    }
    const timed = builders.find((b) => b.tool === 'rb-local-timed');
    // The kept state's times come from a build of its own, not timed.
    if (!timed.unavailable) {
      const s = await timed.build('record-times');
      if (!s.ok) timed.unavailable = `the build that records times failed: ${s.error ?? s.tail}`;
    }
    const verify = (b) => {
      const got = spawnSync(join(b.dir, 'build/bin/app'), { encoding: 'utf8' }).stdout?.trim();
      return { correct: got === want, got, want };
    };
    const before = async (b) => {
      if (b.tool !== 'rb-local-timed') return b.resetCold();
      const state = join(b.dir, '.replibuild/state/build-state.json');
      const log = join(b.dir, '.replibuild/state/build-state.log');
      copyFileSync(state, join(b.scratch, 'kept-state.json'));
      if (existsSync(log)) copyFileSync(log, join(b.scratch, 'kept-state.log'));
      else rmSync(join(b.scratch, 'kept-state.log'), { force: true });
      await b.resetCold();
      mkdirSync(join(b.dir, '.replibuild/state'), { recursive: true });
      copyFileSync(join(b.scratch, 'kept-state.json'), state);
      if (existsSync(join(b.scratch, 'kept-state.log'))) copyFileSync(join(b.scratch, 'kept-state.log'), log);
    };
    const cold = await measureScenario(builders, { name: 'cold', reps, before, verify }, log);
    const floor = floorFrom(timed.dir, jobs);
    return { tus: N + SLOW + 1, headers: HEADERS, flags: FLAGS, slow_tus: SLOW, labels: LABELS, cold, floor, ninja_session_per_job: sessionPerJob };
  } finally {
    for (const b of builders) {
      await b.teardown?.();
      removeDir(b.scratch);
    }
  }
}

/** BENCHMARKS.md section. */
export function coldOrderSection(r) {
  const L = ['## Cold builds, header-heavy tree (issue 17)', ''];
  if (r.error) return [...L, `The cold-order suite failed: ${r.error}`, ''].join('\n');
  L.push(`${r.tus - r.slow_tus - 1} TUs that each include ${r.headers.map((h) => `<${h}>`).join(' ')} and have a short body, ${r.slow_tus} slow TUs (std::regex bodies) last in the config, and main.cpp; ${r.flags.join(' ')}, -j2, each tool on its own copy, every build's program output checked against the value the sources compute. Ratios against ninja -j2 on medians of this run (< 1: faster than ninja). The machine is shared with other work: figures are noisy, compare ratios of the same run.`);
  L.push('');
  L.push('| build | median | min – max | ÷ ninja -j2 | correct |', '| --- | --- | --- | --- | --- |');
  const ninja = r.cold.ninja?.summary?.median;
  for (const [tool, label] of Object.entries(r.labels)) {
    const e = r.cold[tool];
    if (!e || e.unavailable) {
      L.push(`| ${label} | not run: ${e?.unavailable ?? '?'} | | | |`);
      continue;
    }
    const s = e.summary;
    const ok = e.samples.every((x) => x.ok && x.correct !== false);
    L.push(`| ${label} | ${fmtSeconds(s.median)} | ${fmtSeconds(s.min)} – ${fmtSeconds(s.max)} | ${ninja && s.median ? (s.median / ninja).toFixed(2) : '—'} | ${ok ? 'yes' : '**no**'} |`);
  }
  if (r.floor) {
    L.push(`| physical floor without a PCH: max(slowest TU ${fmtSeconds(r.floor.slowest_tu_seconds)}, TU sum ${fmtSeconds(r.floor.tu_sum_seconds)} / 2) + link ${fmtSeconds(r.floor.link_seconds)} | ${fmtSeconds(r.floor.seconds)} | | ${ninja ? (r.floor.seconds / ninja).toFixed(2) : '—'} | |`);
  }
  L.push('');
  L.push(
    r.ninja_session_per_job
      ? "ninja's compiles and links ran under `setsid -w`, each in a session of its own as replibuild's daemons run theirs (with autogroup scheduling a session is a scheduling group: jobs that share one get less CPU on a loaded machine)."
      : "**In this run ninja's jobs shared one session while replibuild's daemons ran each compiler in a session of its own: with autogroup scheduling that gives replibuild up to twice ninja's CPU on a loaded machine, so the ratios below favour replibuild.**",
  );
  L.push('');
  L.push('Without a PCH (automatic PCH is not built yet) replibuild runs the same 43 compiles as ninja, so a ratio far from 1 in one rep says how the load moved during the run, not that either is faster; the hand-written PCH row is the room an automatic one has, and the floor row is computed from the compile times of the replibuild build with the state kept, which the load inflates as much.');
  L.push('');
  return L.join('\n');
}
