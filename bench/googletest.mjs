// A real code base nobody here wrote: googletest from Debian's googletest
// package (/usr/src/googletest/googletest), built by its own CMake + ninja and
// as a replibuild project with the same targets and the same flags (those its
// CMake passes: Release, gtest's warnings): static gtest (gtest-all.cc) and
// gtest_main, and the sample unit tests (sampleN_unittest, as
// -Dgtest_build_samples=ON builds them). After every build each sample runs and
// must pass; after an edit the new symbol must be in the linked sample.
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBuilder } from './builders.mjs';
import { removeDir } from './cleanup.mjs';
import { measureScenario } from './measure.mjs';
import { daemonsRss } from './replibuild.mjs';
import { GOOGLETEST_SRC } from './tools.mjs';

const SRC = join(GOOGLETEST_SRC, 'googletest');

// As googletest/CMakeLists.txt declares them: name, extra sources, library.
const SAMPLES = [
  ['sample1_unittest', ['samples/sample1.cc'], 'gtest_main'],
  ['sample2_unittest', ['samples/sample2.cc'], 'gtest_main'],
  ['sample3_unittest', [], 'gtest_main'],
  ['sample4_unittest', ['samples/sample4.cc'], 'gtest_main'],
  ['sample5_unittest', ['samples/sample1.cc'], 'gtest_main'],
  ['sample6_unittest', [], 'gtest_main'],
  ['sample7_unittest', [], 'gtest_main'],
  ['sample8_unittest', [], 'gtest_main'],
  ['sample9_unittest', [], 'gtest'],
  ['sample10_unittest', [], 'gtest'],
];

function samplesPresent(dir) {
  return SAMPLES.filter(([name, extra]) => [`samples/${name}.cc`, ...extra].every((f) => existsSync(join(dir, f))));
}

const q = (xs) => JSON.stringify(xs);

/** replibuild.toml for googletest, with the flags its CMake uses for a Release build. */
export function googletestToml(samples) {
  const lines = [
    '# googletest (Debian package sources) as a replibuild project: the targets and',
    '# flags of its own CMake build (CMAKE_BUILD_TYPE=Release, gtest_build_samples=ON).',
    '[project]',
    'name = "googletest"',
    'build_dir = "build"',
    '',
    '[compiler]',
    'std = "gnu++17"',
    `flags = ${q(['-O3', '-Wall', '-Wshadow', '-Wno-error=dangling-else', '-fexceptions'])}`,
    `defines = ${q(['NDEBUG', 'GTEST_HAS_PTHREAD=1'])}`,
    '',
    '[targets.gtest]',
    'kind = "static"',
    'sources = ["src/gtest-all.cc"]',
    'include_dirs = ["."]',
    'public_include_dirs = ["include"]',
    `flags = ${q(['-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers'])}`,
    '',
    '[targets.gtest_main]',
    'kind = "static"',
    'sources = ["src/gtest_main.cc"]',
    'deps = ["gtest"]',
    `flags = ${q(['-Wextra', '-Wno-unused-parameter', '-Wno-missing-field-initializers'])}`,
  ];
  for (const [name, extra, lib] of samples) {
    lines.push('', `[targets.${name}]`, 'kind = "executable"', `sources = ${q([`samples/${name}.cc`, ...extra])}`, `deps = ${q([lib])}`);
  }
  return lines.join('\n') + '\n';
}

const DAEMON_CONFIG = '[daemons.setup]\nport = 0\n[daemons.discovery]\nport = 0\n[daemons.compilation]\nport = 0\nparallel_jobs = 2\n[daemons.orchestrator]\nport = 0\ntimeout = 7200\n';

function sampleBinary(b, name) {
  return b.tool === 'ninja' ? join(b.dir, 'build', name) : join(b.dir, 'build', 'bin', name);
}

/** Every sample runs and passes; the last edit's symbol is linked into sample1_unittest. */
function verifyGoogletest(b) {
  for (const [name] of b.samples) {
    const r = spawnSync(sampleBinary(b, name), [], { encoding: 'utf8', timeout: 60_000, cwd: b.dir });
    if (r.status !== 0 || !/PASSED/.test(r.stdout)) {
      return { correct: false, got: `${name} exit ${r.status ?? r.error?.message}`, want: `${name} passes` };
    }
  }
  if (b.editCount > 0) {
    const sym = `bench_edit_${b.editCount}`;
    const nm = spawnSync('nm', [sampleBinary(b, 'sample1_unittest')], { encoding: 'utf8', maxBuffer: 64 << 20 });
    if (!nm.stdout?.includes(sym)) return { correct: false, got: `no ${sym} in sample1_unittest`, want: `${sym} linked in` };
  }
  return { correct: true };
}

/** A real edit of samples/sample1.cc (used by sample1_unittest and sample5_unittest). */
function editSample(b) {
  b.editCount += 1;
  appendFileSync(join(b.dir, 'samples', 'sample1.cc'), `\nint bench_edit_${b.editCount}() { return ${b.editCount}; }\n`);
}

export async function runGoogletest(opts) {
  const { log } = opts;
  if (!opts.availability.googletest) return { unavailable: `${SRC} not found (Debian package googletest)` };
  const samples = samplesPresent(SRC);
  log(`googletest: ${samples.length} samples + gtest + gtest_main, from ${SRC}`);
  const builders = [];
  const result = { source: SRC, samples: samples.map(([n]) => n), scenarios: {}, start_seconds: null, rss: null };
  try {
    for (const tool of opts.tools) {
      const dir = join(opts.tmp, `gtest-${tool}`);
      cpSync(SRC, dir, { recursive: true });
      if (tool.startsWith('rb-')) {
        writeFileSync(join(dir, 'replibuild.toml'), googletestToml(samples));
        mkdirSync(join(dir, '.replibuild'), { recursive: true });
        writeFileSync(join(dir, '.replibuild', 'daemon_config.toml'), DAEMON_CONFIG);
      }
      const scratch = join(opts.tmp, `gtest-${tool}-scratch`);
      mkdirSync(scratch, { recursive: true });
      const b = await makeBuilder(tool, {
        dir,
        cli: opts.cli,
        jobs: opts.jobs,
        logDir: opts.logDir,
        scratch,
        availability: opts.availability,
        timeoutMs: opts.timeoutMs,
        cmakeArgs: ['-DCMAKE_BUILD_TYPE=Release', '-Dgtest_build_samples=ON'],
      });
      Object.assign(b, { scratch, samples, editCount: 0 });
      if (!b.unavailable) {
        try {
          await b.setup();
        } catch (e) {
          b.unavailable = `setup failed: ${e.message}`;
        }
      }
      builders.push(b);
    }
    const rb = builders.find((b) => b.tool === 'rb-daemon' && !b.unavailable);
    if (rb) result.start_seconds = rb.startSeconds;
    const specs = {
      cold: { reps: opts.reps.cold, before: (b, rep) => (rep > 0 ? b.resetCold() : undefined) },
      noop: { reps: opts.reps.noop },
      'edit-cpp': { reps: opts.reps.small, before: editSample },
      'warm-clean': { reps: opts.reps.big, before: (b) => b.cleanBuild() },
    };
    for (const id of ['cold', 'noop', 'edit-cpp', 'warm-clean']) {
      log(`googletest: ${id}`);
      result.scenarios[id] = await measureScenario(builders, { name: id, verify: verifyGoogletest, ...specs[id] }, log);
    }
    if (rb) result.rss = daemonsRss(opts.cli, rb.dir, rb.env);
  } finally {
    for (const b of builders) {
      try {
        await b.teardown?.();
      } catch {
        /* cleanup handlers retry */
      }
      removeDir(b.dir);
      removeDir(b.scratch);
    }
  }
  return result;
}
