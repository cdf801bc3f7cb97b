// Build profiles ([profiles.NAME], default_profile, --profile): what each profile
// resolves to, that the default one is exactly the build without profiles, and
// the errors for profiles that are misspelt or malformed.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/errors.js';
import { allProfiles, applyProfile, configForProfile, profileBuildDirs, UnknownProfileError } from '../../config/profiles.js';
import { loadProjectConfig } from '../../config/project-config.js';
import type { CompilerSettings, ProjectConfig } from '../../config/types.js';
import { compilerSettings } from '../helpers/config-fixture.js';
import { compileArgs, compileJobFor, linkCommandFor, pathIndependenceArgs } from '../../toolchain/compile-args.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(toml: string, files: string[] = ['src/main.cpp', 'src/lib.cpp', 'include/x.h', 'extra/y.h']): string {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-profiles-'));
  dirs.push(root);
  for (const f of files) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  writeFileSync(join(root, 'replibuild.toml'), toml);
  return root;
}

const TARGETS = `
[targets.lib]
kind = "static"
sources = ["src/lib.cpp"]
public_include_dirs = ["include"]
flags = ["-Wextra"]

[targets.app]
kind = "executable"
sources = ["src/main.cpp"]
deps = ["lib"]
defines = ["APP=1"]
`;

const COMPILER = `
[compiler]
cxx = "g++"
flags = ["-Wall"]
defines = ["LEVEL=2"]
libs = ["m"]
`;

function issues(root: string): string[] {
  try {
    loadProjectConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.line}:${i.column}: ${i.message}`);
    throw e;
  }
  throw new Error('expected a ConfigError');
}

const target = (c: ProjectConfig, name: string) => c.targets.find((t) => t.name === name)!;

describe('build profiles', () => {
  it('without [profiles], the default (debug) build is the build there always was', () => {
    const root = project(COMPILER + TARGETS);
    const c = loadProjectConfig(root);
    expect(c.profile).toBe('debug');
    expect(c.default_profile).toBe('debug');
    expect(Object.keys(c.profiles).sort()).toEqual(['debug', 'release']);
    expect(configForProfile(c, 'debug')).toBe(c);
    expect(configForProfile(c)).toBe(c);
    expect(c.build_dir).toBe('build');
    // The exact command lines of before profiles existed: the same cache keys and build state.
    expect(compileArgs(c, target(c, 'app'), 'src/main.cpp')).toEqual([
      '-std=c++17',
      ...pathIndependenceArgs(root),
      '-Wall',
      '-Iinclude',
      '-DLEVEL=2',
      '-DAPP=1',
      '-c',
      'src/main.cpp',
    ]);
    expect(compileJobFor(c, target(c, 'lib'), 'src/lib.cpp').object).toBe('build/obj/lib/src/lib.cpp.o');
    expect(linkCommandFor(c, target(c, 'app'), 'build/bin/app').args).toEqual(['build/obj/app/src/main.cpp.o', 'build/lib/liblib.a', '-lm', '-o', 'build/bin/app']);
  });

  it('release adds -O2 and NDEBUG after [compiler] and before the target, and builds in <build_dir>-release', () => {
    const c = configForProfile(loadProjectConfig(project(COMPILER + TARGETS)), 'release');
    expect(c.profile).toBe('release');
    expect(c.build_dir).toBe('build-release');
    expect(target(c, 'lib').flags).toEqual(['-Wall', '-O2', '-Wextra']);
    expect(target(c, 'lib').c_flags).toEqual(['-O2']);
    expect(target(c, 'app').defines).toEqual(['LEVEL=2', 'NDEBUG', 'APP=1']);
    expect(target(c, 'app').output).toBe('build-release/bin/app');
    expect(target(c, 'lib').obj_dir).toBe('build-release/obj/lib');
    expect(linkCommandFor(c, target(c, 'app'), target(c, 'app').output).args).toContain('build-release/lib/liblib.a');
    expect(c.targets.map((t) => t.sources)).toEqual([['src/lib.cpp'], ['src/main.cpp']]);
  });

  it('a [profiles.release] table replaces the built-in one; list keys add, cxx, std, cc and c_std replace', () => {
    const root = project(
      COMPILER +
        `
[profiles.release]
flags = ["-O3"]

[profiles.asan]
cxx = "clang++"
std = "c++20"
cc = "clang"
c_std = "c17"
c_flags = ["-fsanitize=address"]
flags = ["-fsanitize=address"]
include_dirs = ["extra"]
link_flags = ["-fsanitize=address"]
libs = ["dl"]
` +
        TARGETS,
    );
    const base = loadProjectConfig(root);
    const release = configForProfile(base, 'release');
    expect(target(release, 'lib').flags).toEqual(['-Wall', '-O3', '-Wextra']);
    expect(target(release, 'app').defines).toEqual(['LEVEL=2', 'APP=1']);

    const asan = configForProfile(base, 'asan');
    expect(asan.compiler).toEqual({ cxx: 'clang++', std: 'c++20', cc: 'clang', c_std: 'c17' });
    expect(target(asan, 'app')).toMatchObject({ std: 'c++20', c_std: 'c17', c_flags: ['-fsanitize=address'] });
    expect(asan.build_dir).toBe('build-asan');
    expect(target(asan, 'app').include_dirs).toEqual(['include', 'extra']);
    expect(target(asan, 'app').libs).toEqual(['m', 'dl']);
    expect(target(asan, 'app').link_flags).toEqual(['-fsanitize=address']);
    expect(compileArgs(asan, target(asan, 'app'), 'src/main.cpp')[0]).toBe('-std=c++20');
    // The default profile is untouched by the others.
    expect(base.compiler).toMatchObject({ cxx: 'g++', std: 'c++17', c_std: 'c11' });
    expect(configForProfile(base, 'asan')).toBe(asan);
  });

  it('default_profile picks the profile that builds in build_dir; the others go beside it', () => {
    const c = loadProjectConfig(project(`[project]\nbuild_dir = "out"\ndefault_profile = "release"\n` + TARGETS));
    expect(c.profile).toBe('release');
    expect(c.build_dir).toBe('out');
    expect(target(c, 'lib').flags).toEqual(['-O2', '-Wextra']);
    expect(configForProfile(c, 'debug').build_dir).toBe('out-debug');
    expect(profileBuildDirs(c).sort()).toEqual(['out', 'out-debug']);
    expect(allProfiles(c).map((p) => p.profile)).toEqual(['release', 'debug']);
  });

  it('no profile build dir is searched for sources', () => {
    const root = project(`[targets.t]\nkind = "static"\nsources = ["**/*.cpp"]\n[profiles.x]\n`, [
      'a.cpp',
      'build-release/obj/gen.cpp',
      'build-x/gen.cpp',
      'build-other/b.cpp',
    ]);
    expect(loadProjectConfig(root).targets[0]!.sources).toEqual(['a.cpp', 'build-other/b.cpp']);
  });

  it('an unknown profile is an error naming the known ones', () => {
    const c = loadProjectConfig(project(TARGETS));
    expect(() => configForProfile(c, 'relase')).toThrow(UnknownProfileError);
    expect(() => configForProfile(c, 'relase')).toThrow(
      'unknown profile "relase" (did you mean "release"?): the profiles are debug, release; add a [profiles.relase] table to replibuild.toml to define it',
    );
  });

  it('reports profile mistakes where they are written, with the [compiler] schema', () => {
    const root = project(
      `[project]
default_profile = "relese"

[profiles.release]
flag = ["-O2"]
std = "c17"

[profiles]
fast = 3

[profiles."a b"]
` + TARGETS,
    );
    expect(issues(root)).toEqual([
      '2:1: project.default_profile is "relese", which is not a profile (did you mean "release"?): use one of a b, debug, release, or add a [profiles.relese] table',
      '5:1: unknown key "profiles.release.flag" (did you mean "profiles.release.flags"?)',
      '6:1: profiles.release.std must be a C++ standard such as "c++17" or "gnu++20", not "c17"',
      '9:1: profiles.fast must be a table, written [profiles.fast], not the integer 3',
      `11:11: profile name "a b" may only use letters, digits, '_', '.' and '-', and not start with '.' or '-'`,
    ]);
  });
});

describe('applyProfile', () => {
  const base: CompilerSettings = compilerSettings({ flags: ['-Wall'] });

  it('adds lists and replaces scalars, key by key, for keys it has never heard of too', () => {
    const more = { ...base, future: 'x', future_flags: ['-a'] } as CompilerSettings;
    const over = { future: 'y', future_flags: ['-b'], flags: ['-g'], cc: 'clang' } as Partial<CompilerSettings>;
    expect(applyProfile(more, over)).toEqual({ ...more, future: 'y', future_flags: ['-a', '-b'], flags: ['-Wall', '-g'], cc: 'clang' });
    expect(applyProfile(base, {})).toEqual(base);
  });
});
