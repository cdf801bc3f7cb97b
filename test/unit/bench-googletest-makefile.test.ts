// The googletest benchmark compares replibuild's warm clean rebuild with make + ccache
// and make + sccache on the claim that make runs the very commands replibuild runs
// (bench/googletest.mjs). This holds the claim to replibuild's own command builders:
// `make -n` of the generated Makefile must print exactly the compiles, archives and
// links that replibuild derives from the generated replibuild.toml, so a change on
// either side that would make the two tools build different things fails here.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadProjectConfig } from '../../config/project-config.js';
import { compileJobFor, linkCommandFor } from '../../toolchain/compile-args.js';
import { compileCommandArgv } from '../../toolchain/compile-runner.js';
import { GTEST_SAMPLES, googletestMakefile, googletestToml } from '../../bench/googletest.mjs';

type Sample = [string, string[], string];

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project with googletest's layout (empty sources stand in for its files), both build files written. */
function project(samples: Sample[]): string {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'rb-gtest-make-')));
  dirs.push(root);
  const sources = ['src/gtest-all.cc', 'src/gtest_main.cc', ...samples.flatMap(([name, extra]) => [`samples/${name}.cc`, ...extra])];
  for (const f of sources) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  mkdirSync(join(root, 'include'), { recursive: true });
  writeFileSync(join(root, 'replibuild.toml'), googletestToml(samples));
  writeFileSync(join(root, 'Makefile'), googletestMakefile(samples));
  return root;
}

/** replibuild's commands for the project: every compile (as compile_commands.json has it), archive and link. */
function replibuildCommands(root: string): string[] {
  const config = loadProjectConfig(root);
  const out: string[] = [];
  for (const target of config.targets) {
    for (const source of target.sources) out.push(['g++', ...compileCommandArgv(compileJobFor(config, target, source)).slice(1)].join(' '));
    const link = linkCommandFor(config, target, target.output);
    out.push([link.tool === 'ar' ? 'ar' : 'g++', ...link.args].join(' '));
  }
  return out.sort();
}

/** What make would run for a build from nothing, without the directory creations. */
function makeCommands(root: string): string[] {
  const r = spawnSync('make', ['-n', '-B', 'CXX=g++', 'CXXLD=g++', 'AR=ar'], { cwd: root, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l && !l.startsWith('mkdir -p '))
    .sort();
}

describe('bench googletest: the Makefile for make + ccache / sccache', () => {
  it("runs exactly replibuild's compiles, archives and links for every sample googletest ships", () => {
    const root = project(GTEST_SAMPLES as Sample[]);
    const want = replibuildCommands(root);
    // 2 libraries + 10 samples, sample1.cc and sample2.cc etc. compiled per target.
    expect(want.length).toBeGreaterThan(20);
    expect(makeCommands(root)).toEqual(want);
  });

  it('builds -g objects with the root mapped to ".", as replibuild does', () => {
    const root = project([['sample1_unittest', ['samples/sample1.cc'], 'gtest_main']]);
    const compiles = makeCommands(root).filter((l) => l.includes(' -c '));
    expect(compiles).toHaveLength(4);
    for (const c of compiles) {
      expect(c.split(' ')).toContain('-g');
      expect(c).toContain(`-fdebug-prefix-map=${root}=.`);
    }
  });
});
