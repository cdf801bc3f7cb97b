// Build profiles through the real CLI, daemons and g++: the default profile builds
// in build/, release in build-release/ with -O2 and NDEBUG, each with its own
// build state, so going back and forth compiles nothing; run and clean take
// --profile; an unknown profile is a clear error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BuildSummary } from '../../protocol/build.js';
import { cliSync, projectsPerTest, type TestProject } from '../helpers/project.js';

const project = projectsPerTest();

const FILES: Record<string, string> = {
  'replibuild.toml': `[project]
name = "prof"

[compiler]
flags = ["-Wall"]

[targets.twice]
kind = "static"
sources = ["lib/*.cpp"]
public_include_dirs = ["include"]

[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
deps = ["twice"]
`,
  'include/twice.h': '#pragma once\nint twice(int);\n',
  'lib/twice.cpp': '#include "twice.h"\nint twice(int x) { return 2 * x; }\n',
  // What the profile changed, seen from the program: NDEBUG (an assert that fails
  // aborts only without it) and -O2 (__OPTIMIZE__).
  'src/main.cpp': `#include <cassert>
#include <cstdio>
#include "twice.h"
int main(int argc, char**) {
#ifdef NDEBUG
  std::printf("NDEBUG");
#else
  std::printf("asserts");
#endif
#ifdef __OPTIMIZE__
  std::printf(" optimized");
#endif
  std::printf(" %d\\n", twice(21));
  std::fflush(stdout);
  assert(argc > 1);
  std::puts("past the assert");
  return 0;
}
`,
};

function compile(p: TestProject, args: string[]): BuildSummary {
  const r = cliSync(['compile', '--json', ...args], p);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as BuildSummary;
}

function runProgram(p: TestProject, rel: string): { code: number | null; signal: NodeJS.Signals | null; stdout: string } {
  const r = spawnSync(join(p.root, rel), [], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout };
}

function noopBuilds(p: TestProject): number {
  const r = cliSync(['status', '--json'], p);
  const report = JSON.parse(r.stdout) as { daemons: { name: string; details: Record<string, unknown> }[] };
  return report.daemons.find((d) => d.name === 'orchestrator')!.details.noop_builds as number;
}

for (const mode of ['daemons', 'no-daemon'] as const) {
  describe(`build profiles (${mode})`, () => {
    const flags = mode === 'no-daemon' ? ['--no-daemon'] : [];

    it('compile, --profile release, compile, --profile release: the last two compile nothing', () => {
      const p = project(FILES);
      if (mode === 'daemons') expect(cliSync(['start'], p).code).toBe(0);

      expect(compile(p, flags)).toMatchObject({ ok: true, compiled: 2, cached: 0, linked: 2 });
      const debug = runProgram(p, 'build/bin/app');
      expect(debug.stdout).toBe('asserts 42\n');
      expect(debug.signal).toBe('SIGABRT');

      // Other command lines: compiled, not taken from the debug build's cache entries.
      expect(compile(p, [...flags, '--profile', 'release'])).toMatchObject({ ok: true, compiled: 2, cached: 0, linked: 2 });
      const release = runProgram(p, 'build-release/bin/app');
      expect(release).toEqual({ code: 0, signal: null, stdout: 'NDEBUG optimized 42\npast the assert\n' });
      expect(existsSync(join(p.root, 'build-release/lib/libtwice.a'))).toBe(true);
      expect(runProgram(p, 'build/bin/app').stdout).toBe('asserts 42\n');

      const noops = mode === 'daemons' ? noopBuilds(p) : 0;
      expect(compile(p, flags)).toMatchObject({ ok: true, compiled: 0, cached: 0, upToDate: 2, linked: 0 });
      expect(compile(p, [...flags, '--profile=release'])).toMatchObject({ ok: true, compiled: 0, cached: 0, upToDate: 2, linked: 0 });
      // Through the daemons both were journal no-ops: one build dir's writes are not the other's changes.
      if (mode === 'daemons') expect(noopBuilds(p)).toBe(noops + 2);
      expect(runProgram(p, 'build/bin/app').stdout).toBe('asserts 42\n');
      expect(runProgram(p, 'build-release/bin/app').stdout).toBe('NDEBUG optimized 42\npast the assert\n');

      // An edit rebuilds each profile once, when it is built.
      p.write('lib/twice.cpp', '#include "twice.h"\nint twice(int x) { return x + x + 1; }\n');
      expect(compile(p, [...flags, '--profile', 'release'])).toMatchObject({ compiled: 1, linked: 2 });
      expect(compile(p, flags)).toMatchObject({ compiled: 1, linked: 2 });
      expect(compile(p, [...flags, '--profile', 'release'])).toMatchObject({ compiled: 0, linked: 0 });
      expect(runProgram(p, 'build/bin/app').stdout).toBe('asserts 43\n');
      expect(runProgram(p, 'build-release/bin/app').stdout).toBe('NDEBUG optimized 43\npast the assert\n');

      // why (and report) --profile: the last build of that profile, not the last build.
      const why = (args: string[]) => cliSync(['why', ...args], p);
      expect(why([]).stdout).not.toContain('1 of 2 TUs rebuilt');
      expect(why(['--profile', 'debug']).stdout).toContain('1 of 2 TUs rebuilt');
      expect(why(['--profile', 'release', '--build', 'last-1']).stdout).toContain('1 of 2 TUs rebuilt');
      const bad = why(['--profile', 'relase']);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('unknown profile "relase"');
    });

    it('run and clean take --profile; clean leaves the other profile alone', () => {
      const p = project(FILES);
      if (mode === 'daemons') expect(cliSync(['start'], p).code).toBe(0);

      const ran = cliSync(['run', 'app', '--profile', 'release', ...flags], p);
      expect(ran.code, ran.stderr).toBe(0);
      expect(ran.stdout).toBe('NDEBUG optimized 42\npast the assert\n');
      expect(ran.stderr).toContain('build-release/bin/app exited with code 0');
      expect(compile(p, flags)).toMatchObject({ compiled: 2, linked: 2 });

      const cleaned = cliSync(['clean', '--profile', 'release', ...flags], p);
      expect(cleaned.code, cleaned.stderr).toBe(0);
      expect(cleaned.stdout).toContain('removed build-release/');
      expect(existsSync(join(p.root, 'build-release'))).toBe(false);
      expect(existsSync(join(p.root, 'build/bin/app'))).toBe(true);
      expect(compile(p, flags)).toMatchObject({ compiled: 0, linked: 0 });
      // Its objects come back from the cache, its state from scratch.
      expect(compile(p, [...flags, '--profile', 'release'])).toMatchObject({ compiled: 0, cached: 2, linked: 2 });
    });

    it('an unknown profile is an error naming the known ones, for compile, run and clean', () => {
      const p = project({
        ...FILES,
        'replibuild.toml': FILES['replibuild.toml'] + '\n[profiles.asan]\nflags = ["-fsanitize=address"]\nlink_flags = ["-fsanitize=address"]\n',
      });
      if (mode === 'daemons') expect(cliSync(['start'], p).code).toBe(0);
      const known = 'the profiles are asan, debug, release; add a [profiles.relase] table to replibuild.toml to define it';

      const c = cliSync(['compile', '--profile', 'relase', ...flags], p);
      expect(c.code).toBe(1);
      expect(c.stderr + c.stdout).toContain(`unknown profile "relase" (did you mean "release"?): ${known}`);
      const r = cliSync(['run', 'app', '--profile', 'relase', ...flags], p);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(known);
      const k = cliSync(['clean', '--profile', 'relase', ...flags], p);
      expect(k.code).toBe(2);
      expect(k.stderr).toBe(`replibuild: unknown profile "relase" (did you mean "release"?): ${known}\n`);
      expect(existsSync(join(p.root, 'build-relase'))).toBe(false);
    });
  });
}
