import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { detectCc, detectCxx, findOnPath } from '../../config/compiler.js';
import { ConfigError } from '../../config/errors.js';
import { loadProjectConfig, projectConfigPath } from '../../config/project-config.js';
import type { ConfigIssue } from '../../config/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'replibuild-project-'));
  dirs.push(d);
  return d;
}

/** A project with `files` (empty unless given) and replibuild.toml = `toml`. */
function project(toml: string | null, files: Record<string, string> | string[] = []): string {
  const root = tempDir();
  const entries = Array.isArray(files) ? files.map((f) => [f, ''] as const) : Object.entries(files);
  for (const [f, body] of entries) {
    if (f.endsWith('/')) {
      mkdirSync(join(root, f), { recursive: true });
    } else {
      mkdirSync(dirname(join(root, f)), { recursive: true });
      writeFileSync(join(root, f), body);
    }
  }
  if (toml !== null) writeFileSync(join(root, 'replibuild.toml'), toml);
  return root;
}

function issuesOf(root: string): ConfigIssue[] {
  try {
    loadProjectConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

/** [line, column, message] of each issue, after checking they all name the project file. */
function where(root: string): [number | null, number | null, string][] {
  const issues = issuesOf(root);
  for (const i of issues) expect(i.file).toBe(projectConfigPath(root));
  return issues.map((i) => [i.line, i.column, i.message]);
}

const LAYERED_FILES = [
  'app/main.cpp',
  'app/include/app.h',
  'util/include/util.h',
  'util/src/str.cpp',
  'util/src/num.cpp',
  'net/include/net.h',
  'net/src/tcp.cpp',
  'net/src/private/impl.h',
  'plugin/include/plugin.h',
  'plugin/plugin.cpp',
  'third_party/include/x.h',
  'build/obj/app/stale.cpp',
];

const LAYERED = `
[project]
name = "layered"

[compiler]
cxx = "clang++"
std = "c++20"
flags = ["-Wall", "-O2"]
defines = ["NDEBUG", "LEVEL=2"]
include_dirs = ["third_party/include"]
link_flags = ["-pthread"]
libs = ["m"]

[targets.app]
kind = "executable"
sources = ["app/**/*.cpp"]
include_dirs = ["app/include"]
deps = ["net", "plugin"]
libs = ["-ldl"]
flags = ["-g"]
defines = ["APP=1"]

[targets.plugin]
kind = "shared"
sources = ["plugin/*.cpp"]
public_include_dirs = ["plugin/include"]
deps = ["net"]
link_flags = ["-Wl,--as-needed"]

[targets.net]
kind = "static"
sources = ["net/src/*.cpp"]
include_dirs = ["./net/src/private/"]
public_include_dirs = ["net/include"]
deps = ["util"]

[targets.util]
kind = "static"
sources = ["util/src/*.cpp"]
public_include_dirs = ["util/include", "third_party/include"]
`;

describe('project config resolution', () => {
  it('resolves a layered project', () => {
    const root = project(LAYERED, LAYERED_FILES);
    const cfg = loadProjectConfig(root);
    expect(cfg.root).toBe(root);
    expect(cfg.name).toBe('layered');
    expect(cfg.build_dir).toBe('build');
    expect(cfg.compiler).toEqual({ cxx: 'clang++', std: 'c++20', cc: detectCc(), c_std: 'c11' });
    expect(cfg.compile_commands).toBe(true);
    expect(cfg.files).toEqual([join(root, 'replibuild.toml')]);
    expect(cfg.targets.map((t) => t.name)).toEqual(['util', 'net', 'plugin', 'app']);

    const [util, net, plugin, app] = cfg.targets;
    expect(util).toEqual({
      name: 'util',
      kind: 'static',
      sources: ['util/src/num.cpp', 'util/src/str.cpp'],
      include_dirs: ['util/include', 'third_party/include'],
      defines: ['NDEBUG', 'LEVEL=2'],
      flags: ['-Wall', '-O2'],
      c_flags: [],
      std: 'c++20',
      c_std: 'c11',
      deps: [],
      link_deps: [],
      libs: ['m'],
      link_flags: ['-pthread'],
      output: 'build/lib/libutil.a',
      pch: 'auto',
      obj_dir: 'build/obj/util',
    });
    expect(net!.include_dirs).toEqual(['net/src/private', 'net/include', 'util/include', 'third_party/include']);
    expect(net!.link_deps).toEqual(['util']);
    expect(plugin!.output).toBe('build/lib/libplugin.so');
    expect(plugin!.link_flags).toEqual(['-pthread', '-Wl,--as-needed']);
    expect(plugin!.include_dirs).toEqual(['plugin/include', 'net/include', 'util/include', 'third_party/include']);
    expect(app).toEqual({
      name: 'app',
      kind: 'executable',
      sources: ['app/main.cpp'],
      // private, own public (none), deps' public in link order (transitively), then [compiler]
      include_dirs: ['app/include', 'plugin/include', 'net/include', 'util/include', 'third_party/include'],
      defines: ['NDEBUG', 'LEVEL=2', 'APP=1'],
      flags: ['-Wall', '-O2', '-g'],
      c_flags: [],
      std: 'c++20',
      c_std: 'c11',
      deps: ['net', 'plugin'],
      // plugin uses net, net uses util: each library before the ones it needs
      link_deps: ['plugin', 'net', 'util'],
      libs: ['m', 'dl'],
      link_flags: ['-pthread'],
      output: 'build/bin/app',
      pch: 'auto',
      obj_dir: 'build/obj/app',
    });
  });

  it('applies the defaults', () => {
    const root = project('[targets.hello]\nkind = "executable"\nsources = ["main.cpp"]\n', ['main.cpp']);
    const saved = { CXX: process.env['CXX'], CC: process.env['CC'] };
    process.env['CXX'] = 'my-c++';
    process.env['CC'] = 'my-cc';
    try {
      const cfg = loadProjectConfig(root);
      expect(cfg.name).toBe(basename(root));
      expect(cfg.build_dir).toBe('build');
      expect(cfg.compiler).toEqual({ cxx: 'my-c++', std: 'c++17', cc: 'my-cc', c_std: 'c11' });
      expect(cfg.compile_commands).toBe(true);
      expect(cfg.targets).toEqual([
        {
          name: 'hello',
          kind: 'executable',
          sources: ['main.cpp'],
          include_dirs: [],
          defines: [],
          flags: [],
          c_flags: [],
          std: 'c++17',
          c_std: 'c11',
          deps: [],
          link_deps: [],
          libs: [],
          link_flags: [],
          output: 'build/bin/hello',
          pch: 'auto',
          obj_dir: 'build/obj/hello',
        },
      ]);
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('gives C sources their compiler, standard and flags, and lets a target override the standards', () => {
    const root = project(
      [
        '[project]',
        'compile_commands = false',
        '[compiler]',
        'cc = " clang "',
        'c_std = "gnu17"',
        'flags = ["-O2"]',
        'c_flags = ["-O1"]',
        '[targets.lib]',
        'kind = "static"',
        'sources = ["a.c", "b.cpp"]',
        'c_flags = ["-Wall"]',
        'std = "c++20"',
        'c_std = "c99"',
        '[targets.app]',
        'kind = "executable"',
        'sources = ["m.cpp"]',
        'deps = ["lib"]',
      ].join('\n'),
      ['a.c', 'b.cpp', 'm.cpp'],
    );
    const cfg = loadProjectConfig(root);
    expect(cfg.compile_commands).toBe(false);
    expect(cfg.compiler).toMatchObject({ cc: 'clang', c_std: 'gnu17', std: 'c++17' });
    const [lib, app] = cfg.targets;
    expect(lib).toMatchObject({ flags: ['-O2'], c_flags: ['-O1', '-Wall'], std: 'c++20', c_std: 'c99' });
    expect(app).toMatchObject({ flags: ['-O2'], c_flags: ['-O1'], std: 'c++17', c_std: 'gnu17' });
  });

  it('normalizes build_dir and keeps its contents out of the sources', () => {
    const root = project(
      '[project]\nbuild_dir = "./out//rel/"\n[targets.t]\nkind = "static"\nsources = ["**/*.cpp"]\n',
      ['a.cpp', 'out/rel/obj/gen.cpp', 'build/b.cpp'],
    );
    const [t] = loadProjectConfig(root).targets;
    expect(t!.sources).toEqual(['a.cpp', 'build/b.cpp']);
    expect(t!.output).toBe('out/rel/lib/libt.a');
    expect(t!.obj_dir).toBe('out/rel/obj/t');
  });

  it('keeps file order for independent targets, even with numeric names', () => {
    const root = project(
      ['z', '2', 'a'].map((n) => `[targets.${n}]\nkind = "static"\nsources = ["a.cpp"]\n`).join(''),
      ['a.cpp'],
    );
    expect(loadProjectConfig(root).targets.map((t) => t.name)).toEqual(['z', '2', 'a']);
  });

  it('keeps source order by pattern and drops duplicates; keeps absolute include dirs', () => {
    const inc = tempDir();
    const root = project(
      `[targets.t]\nkind = "static"\nsources = ["b.cpp", "*.cpp"]\ninclude_dirs = ["${inc}"]\n`,
      ['a.cpp', 'b.cpp'],
    );
    const [t] = loadProjectConfig(root).targets;
    expect(t!.sources).toEqual(['b.cpp', 'a.cpp']);
    expect(t!.include_dirs).toEqual([inc]);
  });

  it('takes a source named outside the project (../, absolute) or in a dot dir as written', () => {
    const outside = tempDir();
    writeFileSync(join(outside, 'x.cpp'), '');
    writeFileSync(join(outside, 'y.c'), '');
    const rel = `../${basename(outside)}/x.cpp`;
    const root = project(
      `[targets.t]\nkind = "static"\nsources = ["a.cpp", "${rel}", "${outside}/y.c", ".replibuild/cmake-import/v.cpp", "ABS/a.cpp"]\n`,
      ['a.cpp', '.replibuild/cmake-import/v.cpp'],
    );
    // An absolute path into the project is the same source as its relative name.
    writeFileSync(join(root, 'replibuild.toml'), readFileSync(join(root, 'replibuild.toml'), 'utf8').replace('ABS', root));
    const [t] = loadProjectConfig(root).targets;
    expect(t!.sources).toEqual(['a.cpp', rel, `${outside}/y.c`, '.replibuild/cmake-import/v.cpp']);
  });

  it('accepts a relative root', () => {
    const root = project('[targets.t]\nkind = "static"\nsources = ["a.cpp"]\n', ['a.cpp']);
    const cwd = process.cwd();
    process.chdir(dirname(root));
    try {
      expect(loadProjectConfig(basename(root)).root).toBe(root);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('project config errors', () => {
  it('reports a missing replibuild.toml', () => {
    const root = project(null);
    expect(issuesOf(root)).toEqual([
      {
        file: join(root, 'replibuild.toml'),
        line: null,
        column: null,
        message: `no replibuild.toml in ${root}: create one with at least one [targets.NAME] table`,
      },
    ]);
  });

  it('reports a TOML syntax error at its position', () => {
    const root = project('[targets.a]\nkind = "static"\nsources = ["a.cpp",, "b.cpp"]\n');
    expect(where(root)).toEqual([[3, expect.any(Number), expect.stringMatching(/^TOML syntax error: /)]]);
  });

  it('says a string is not closed, at its opening quote, for each kind of quote', () => {
    // smol-toml's own words are "control characters are not allowed in strings".
    expect(where(project('[targets.a]\nkind = "static\n'))).toEqual([[2, 8, 'TOML syntax error: the string "static is not closed: add the closing " on line 2']]);
    expect(where(project("[targets.a]\nkind = 'static\n"))).toEqual([[2, 8, "TOML syntax error: the string 'static is not closed: add the closing ' on line 2"]]);
    expect(where(project('[targets.a]\nsources = ["a.cpp", "b.cpp]\n'))).toEqual([[2, 21, 'TOML syntax error: the string "b.cpp] is not closed: add the closing " on line 2']]);
    expect(where(project('[targets.a]\nkind = "a\\"b'))).toEqual([[2, 8, 'TOML syntax error: the string "a\\"b is not closed: add the closing " on line 2']]);
  });

  it('reports no targets at all', () => {
    expect(where(project('[project]\nname = "x"\n'))).toEqual([
      [1, 1, 'no targets: add at least one [targets.NAME] table with kind and sources'],
    ]);
    expect(where(project('[project]\nname = "x"\n[targets]\n'))).toEqual([
      [3, 2, 'no targets: add at least one [targets.NAME] table with kind and sources'],
    ]);
  });

  it('reports unknown keys, wrong types and bad kinds where they are written', () => {
    const root = project(
      [
        '[project]',                       // 1
        'nme = "x"',                       // 2
        'build_dir = 5',                   // 3
        '[compiler]',                      // 4
        'std = "c17"',                     // 5
        'flags = "-O2"',                   // 6
        'defines = ["OK", "-DBAD", "1X"]', // 7
        '[targets.a]',                     // 8
        'kind = "shard"',                  // 9
        'sources = ["a.cpp", 3]',          // 10
        'dep = ["b"]',                     // 11
        '[targets.b]',                     // 12
        'kind = "library"',                // 13
        'sources = ["a.cpp"]',             // 14
        '[targets."bad name"]',            // 15
        'kind = "static"',                 // 16
        'sources = ["a.cpp"]',             // 17
        '[tragets.c]',                     // 18
      ].join('\n'),
      ['a.cpp'],
    );
    expect(where(root)).toEqual([
      [2, 1, 'unknown key "project.nme" (did you mean "project.name"?)'],
      [3, 1, 'project.build_dir must be a string, not the integer 5'],
      [5, 1, 'compiler.std must be a C++ standard such as "c++17" or "gnu++20", not "c17"'],
      [6, 1, 'compiler.flags must be an array of strings, not the string "-O2"'],
      [7, 18, 'compiler.defines[1]: "-DBAD" is not a define; write NAME or NAME=VALUE (without -D)'],
      [7, 27, 'compiler.defines[2]: "1X" is not a define; write NAME or NAME=VALUE (without -D)'],
      [9, 1, 'targets.a.kind must be one of "executable", "static", "shared", not "shard" (did you mean "shared"?)'],
      [10, 21, 'targets.a.sources[1] must be a string, not the integer 3'],
      [11, 1, 'unknown key "targets.a.dep" (did you mean "targets.a.deps"?)'],
      [13, 1, 'targets.b.kind must be one of "executable", "static", "shared", not "library"'],
      [15, 10, 'target name "bad name" may only use letters, digits, \'_\', \'.\' and \'-\''],
      [18, 2, 'unknown table [tragets] (did you mean [targets]?)'],
    ]);
  });

  it('reports a C standard given for C++ and the reverse, in [compiler] and in a target', () => {
    const root = project(
      [
        '[compiler]',
        'c_std = "c++17"',
        'c_flags = "-O2"',
        '[targets.a]',
        'kind = "static"',
        'sources = ["a.c"]',
        'std = "c11"',
        'c_std = "gnu17"',
        'c_flag = ["-O2"]',
      ].join('\n'),
      ['a.c'],
    );
    expect(where(root)).toEqual([
      [2, 1, 'compiler.c_std must be a C standard such as "c11" or "gnu17", not "c++17"'],
      [3, 1, 'compiler.c_flags must be an array of strings, not the string "-O2"'],
      [7, 1, 'targets.a.std must be a C++ standard such as "c++17" or "gnu++20", not "c11"'],
      [9, 1, 'unknown key "targets.a.c_flag" (did you mean "targets.a.c_flags"?)'],
    ]);
  });

  it('reports a target without kind or sources at its header', () => {
    const root = project('[targets.a]\nkind = "static"\n\n[targets.b]\nsources = ["a.cpp"]\n', ['a.cpp']);
    expect(where(root)).toEqual([
      [1, 10, 'target "a" has no sources: add sources = ["src/*.cpp"] (globs from the project root)'],
      [4, 10, 'target "b" has no kind: add kind = "executable", "static", "shared"'],
    ]);
  });

  it('reports a target that is not a table', () => {
    const root = project('[targets]\nkind = "static"\n');
    expect(where(root)).toEqual([
      [2, 1, 'targets.kind is not a target: a target is a table, written [targets.kind], not the string "static"'],
    ]);
    expect(where(project('[[targets]]\nname = "a"\n'))).toEqual([
      [1, 3, 'targets must be a table of targets, each written [targets.NAME], not an array'],
    ]);
  });

  it('reports a glob that matches nothing, a missing source and a bad glob at the element', () => {
    const root = project(
      [
        '[targets.app]',                                                      // 1
        'kind = "executable"',                                                // 2
        'sources = ["src/*.cpp", "src/*.cc", "src/missing.cpp", "src/{a"]',   // 3
      ].join('\n'),
      ['src/main.cpp'],
    );
    expect(where(root)).toEqual([
      [3, 25, 'targets.app.sources[1]: glob "src/*.cc" matches no files'],
      [3, 37, 'targets.app.sources[2]: source file "src/missing.cpp" does not exist'],
      [3, 56, `targets.app.sources[3]: bad glob "src/{a": '{' is never closed`],
    ]);
  });

  it('reports a missing source outside the project at its element; a glob may still not leave the root', () => {
    const root = project(
      [
        '[targets.app]',                                                  // 1
        'kind = "executable"',                                            // 2
        'sources = ["main.cpp", "../nowhere/x.cpp", "../*.cpp"]',          // 3
      ].join('\n'),
      ['main.cpp'],
    );
    expect(where(root)).toEqual([
      [3, 24, 'targets.app.sources[1]: source file "../nowhere/x.cpp" does not exist'],
      [3, 44, `targets.app.sources[2]: bad glob "../*.cpp": '..' would leave the project root; sources must be inside the project`],
    ]);
  });

  it('reports an empty sources list', () => {
    const root = project('[targets.app]\nkind = "executable"\nsources = []\n');
    expect(where(root)).toEqual([[3, 1, 'targets.app.sources is empty: list at least one source file or glob']]);
  });

  it('reports include dirs that do not exist or are files', () => {
    const root = project(
      [
        '[compiler]',                                          // 1
        'include_dirs = ["nope"]',                             // 2
        '[targets.a]',                                         // 3
        'kind = "static"',                                     // 4
        'sources = ["a.cpp"]',                                 // 5
        'include_dirs = ["inc", "a.cpp"]',                     // 6
        'public_include_dirs = ["pub", "missing/pub"]',        // 7
      ].join('\n'),
      ['a.cpp', 'inc/', 'pub/'],
    );
    expect(where(root)).toEqual([
      [2, 17, 'compiler.include_dirs[0]: include directory "nope" does not exist'],
      [6, 24, 'targets.a.include_dirs[1]: include directory "a.cpp" is not a directory'],
      [7, 31, 'targets.a.public_include_dirs[1]: include directory "missing/pub" does not exist'],
    ]);
  });

  it('reports a dep on an unknown target, with a suggestion', () => {
    const root = project(
      [
        '[targets.app]',                            // 1
        'kind = "executable"',                      // 2
        'sources = ["a.cpp"]',                      // 3
        'deps = ["utils", "zzz"]',                  // 4
        '[targets.util]',                           // 5
        'kind = "static"',                          // 6
        'sources = ["a.cpp"]',                      // 7
      ].join('\n'),
      ['a.cpp'],
    );
    expect(where(root)).toEqual([
      [4, 9, 'targets.app.deps[0]: target "app" depends on "utils", which is not a target in this file (did you mean "util"?)'],
      [4, 18, 'targets.app.deps[1]: target "app" depends on "zzz", which is not a target in this file'],
    ]);
  });

  it('reports an executable used as a dependency', () => {
    const root = project(
      [
        '[targets.tool]',            // 1
        'kind = "executable"',       // 2
        'sources = ["a.cpp"]',       // 3
        '[targets.lib]',             // 4
        'kind = "static"',           // 5
        'sources = ["a.cpp"]',       // 6
        'deps = ["tool"]',           // 7
      ].join('\n'),
      ['a.cpp'],
    );
    expect(where(root)).toEqual([
      [
        7,
        9,
        'targets.lib.deps[0]: target "lib" depends on "tool", an executable; only static and shared libraries can be dependencies',
      ],
    ]);
  });

  it('reports a dependency cycle naming its targets', () => {
    const root = project(
      [
        '[targets.app]',                            // 1
        'kind = "executable"',                      // 2
        'sources = ["a.cpp"]',                      // 3
        'deps = ["a"]',                             // 4
        '[targets.a]',                              // 5
        'kind = "static"',                          // 6
        'sources = ["a.cpp"]',                      // 7
        'deps = ["b"]',                             // 8
        '[targets.b]',                              // 9
        'kind = "static"',                          // 10
        'sources = ["a.cpp"]',                      // 11
        'deps = ["c", "a"]',                        // 12
        '[targets.c]',                              // 13
        'kind = "shared"',                          // 14
        'sources = ["a.cpp"]',                      // 15
        'deps = ["c"]',                             // 16
      ].join('\n'),
      ['a.cpp'],
    );
    expect(where(root)).toEqual([
      [8, 9, 'dependency cycle: a -> b -> a'],
      [16, 9, 'dependency cycle: c -> c'],
    ]);
  });

  it('collects every issue into one ConfigError with gcc-style lines', () => {
    const root = project('[project]\nfoo = 1\n[targets.a]\nkind = "x"\nsources = ["a.cpp"]\n', ['a.cpp']);
    let message = '';
    try {
      loadProjectConfig(root);
    } catch (e) {
      message = (e as Error).message;
    }
    const file = join(root, 'replibuild.toml');
    expect(message.split('\n')).toEqual([
      `${file}:2:1: error: unknown key "project.foo" (known keys here: name, build_dir, compile_commands, default_profile)`,
      `${file}:4:1: error: targets.a.kind must be one of "executable", "static", "shared", not "x"`,
    ]);
  });

  it('refuses a build_dir outside the project', () => {
    for (const dir of ['..', '/tmp/out', '.']) {
      const root = project(`[project]\nbuild_dir = "${dir}"\n[targets.a]\nkind = "static"\nsources = ["a.cpp"]\n`, ['a.cpp']);
      expect(where(root)).toEqual([
        [2, 1, `project.build_dir must be a directory inside the project, such as "build", not "${dir}"`],
      ]);
    }
  });
});

describe('compiler detection', () => {
  function binDir(names: string[]): string {
    const d = tempDir();
    for (const n of names) {
      writeFileSync(join(d, n), '#!/bin/sh\n');
      chmodSync(join(d, n), 0o755);
    }
    return d;
  }

  it('prefers $CXX', () => {
    expect(detectCxx({ CXX: ' ccache g++ ', PATH: binDir(['g++']) })).toBe('ccache g++');
  });

  it('takes g++ from PATH, else clang++', () => {
    expect(detectCxx({ PATH: `/nonexistent:${binDir(['clang++', 'g++'])}` })).toBe('g++');
    expect(detectCxx({ PATH: binDir(['clang++']) })).toBe('clang++');
    expect(detectCxx({ PATH: '' })).toBe('clang++');
  });

  it('takes $CC, else gcc, else clang for C', () => {
    expect(detectCc({ CC: 'ccache gcc', PATH: binDir(['gcc']) })).toBe('ccache gcc');
    expect(detectCc({ PATH: binDir(['clang', 'gcc']) })).toBe('gcc');
    expect(detectCc({ PATH: binDir(['clang']) })).toBe('clang');
  });

  it('ignores directories and files that are not executable', () => {
    const d = tempDir();
    mkdirSync(join(d, 'g++'));
    writeFileSync(join(d, 'clang++'), '');
    expect(findOnPath('g++', { env: { PATH: d } })).toBeNull();
    if (process.getuid?.() !== 0) expect(findOnPath('clang++', { env: { PATH: d } })).toBeNull();
    const bin = binDir(['g++']);
    expect(findOnPath('g++', { env: { PATH: `${d}:${bin}` } })).toBe(join(bin, 'g++'));
  });
});
