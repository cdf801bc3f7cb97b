// Issue 14: C sources beside C++ ones, under each installed compiler pair (g++/gcc,
// clang++/clang), through the real daemons; compile_commands.json as clangd reads it.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCommand } from '../../toolchain/compile-runner.js';
import { COMPILERS, withCompilers, type CompilerPair } from '../helpers/compilers.js';
import { compileJson, REPO, cliSync, objects, projectsPerTest, type TestProject } from '../helpers/project.js';

const project = projectsPerTest();

const compileOk = (p: TestProject, extra: string[] = []) => compileJson(p, extra, { ok: true });

interface DbEntry {
  directory: string;
  file: string;
  arguments: string[];
  output: string;
}

const readDb = (p: TestProject): DbEntry[] => JSON.parse(p.read('compile_commands.json')) as DbEntry[];

const TOML = (extra = '') => `[project]
name = "mixed"

[compiler]
include_dirs = ["include"]
flags = ["-DONLY_CXX=1"]
c_flags = ["-DONLY_C=1", "-Wall"]
${extra}
[targets.app]
kind = "executable"
sources = ["src/*.cpp", "src/c/*.c"]
`;

/** A C function called from C++ through extern "C". The C file uses `class` as a name and
 *  checks __STDC_VERSION__, so it only compiles as C11; each side refuses the other's flags. */
const MIXED: Record<string, string> = {
  'replibuild.toml': TOML(),
  'include/scale.h': '#pragma once\n#ifdef __cplusplus\nextern "C" {\n#endif\nint scale(int x);\n#ifdef __cplusplus\n}\n#endif\n',
  'src/c/scale.c':
    '#include "scale.h"\n#if __STDC_VERSION__ != 201112L || defined(ONLY_CXX) || !defined(ONLY_C)\n#error not compiled as C11 with c_flags\n#endif\n' +
    'int scale(int x) { int class = x * 3; return class; }\n',
  'src/main.cpp':
    '#include <cstdio>\n#include "scale.h"\n#if defined(ONLY_C) || !defined(ONLY_CXX)\n#error not compiled with flags\n#endif\n' +
    'int main() { std::printf("scaled=%d\\n", scale(14)); return 0; }\n',
};

/** The compiler that wrote an object, from its .comment section. */
function producer(obj: Buffer): 'gcc' | 'clang' {
  return obj.includes('clang version') ? 'clang' : 'gcc';
}

describe.each(COMPILERS.map((c) => [c.name, c] as const))('C and C++ in one target (%s)', (_name, c: CompilerPair) => {
  const mixed = (files: Record<string, string> = {}) => {
    const p = project({ ...MIXED, ...files });
    p.env = withCompilers(p.env, c);
    return p;
  };

  it('the C source compiles with cc, C11 and c_flags, links with the C++ one, and rebuilds alone', () => {
    const p = mixed();
    expect(cliSync(['start'], p).code).toBe(0);
    const v = cliSync(['compile', '-v'], p);
    expect(v.code, v.stderr + v.stdout).toBe(0);
    expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('scaled=42\n');
    const objs = objects(p.root);
    expect(producer(objs.get('build/obj/app/src/c/scale.c.o')!)).toBe(c.kind);
    expect(producer(objs.get('build/obj/app/src/main.cpp.o')!)).toBe(c.kind);

    // compile_commands.json holds exactly the commands -v printed, one per TU.
    const db = readDb(p);
    expect(db.map((e) => [e.file, e.arguments[0], e.arguments[1]])).toEqual([
      ['src/main.cpp', c.cxx, '-std=c++17'],
      ['src/c/scale.c', c.cc, '-std=c11'],
    ]);
    for (const e of db) {
      expect(e.directory).toBe(p.root);
      expect(v.stdout + v.stderr).toContain(`${formatCommand(e.arguments)}\n`);
      expect(e.arguments.slice(-7)).toEqual(['-MD', '-MF', e.output.replace(/\.o$/, '.d'), '-MT', e.output, '-o', e.output]);
    }

    expect(compileOk(p)).toMatchObject({ compiled: 0, upToDate: 2, linked: 0 });
    p.write('src/c/scale.c', p.read('src/c/scale.c').replace('x * 3', 'x * 4'));
    expect(compileOk(p)).toMatchObject({ compiled: 1, upToDate: 1, linked: 1 });
    expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('scaled=56\n');
    // The header both languages read: both TUs.
    p.write('include/scale.h', `${p.read('include/scale.h')}int unused_decl(void);\n`);
    expect(compileOk(p)).toMatchObject({ compiled: 2 });
  });

  it("the compiler's diagnostics reach the user unchanged, for C and for C++", () => {
    const p = mixed({
      'src/c/scale.c': '#include "scale.h"\nint scale(int x) { return x * undefined_c; }\n',
      'src/main.cpp': '#include "scale.h"\nint main() { return scale(undefined_cxx); }\n',
    });
    const r = cliSync(['compile', '--no-daemon', '-k'], p);
    expect(r.code).toBe(1);
    // The same command, run by hand from compile_commands.json, says the same.
    for (const e of readDb(p)) {
      const direct = spawnSync(e.arguments[0]!, e.arguments.slice(1), { cwd: p.root, env: p.env, encoding: 'utf8' });
      expect(direct.status).not.toBe(0);
      expect(direct.stderr).toMatch(e.file.endsWith('.c') ? /undefined_c/ : /undefined_cxx/);
      expect(r.stderr).toContain(direct.stderr);
    }
  });
});

describe.runIf(COMPILERS.length === 2)('switching compilers', () => {
  it('never hits the other compiler\'s entries; switching back hits its own; cc alone rebuilds only C', () => {
    const p = project(MIXED);
    const [gnu, llvm] = COMPILERS as [CompilerPair, CompilerPair];
    const use = (cxx: CompilerPair, cc: CompilerPair) => p.write('replibuild.toml', TOML(`cxx = "${cxx.cxx}"\ncc = "${cc.cc}"\n`));
    const producers = () => [...objects(p.root)].map(([f, o]) => `${f}:${producer(o)}`).sort();

    use(gnu, gnu);
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 2, cached: 0 });
    use(llvm, llvm);
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 2, cached: 0 });
    expect(producers()).toEqual(['build/obj/app/src/c/scale.c.o:clang', 'build/obj/app/src/main.cpp.o:clang']);
    use(gnu, gnu);
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 0, cached: 2 });
    expect(producers()).toEqual(['build/obj/app/src/c/scale.c.o:gcc', 'build/obj/app/src/main.cpp.o:gcc']);
    // Only the C compiler changes: only the C TU, from clang's entry; the C++ one is up to date.
    use(gnu, llvm);
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 0, cached: 1, upToDate: 1 });
    expect(producers()).toEqual(['build/obj/app/src/c/scale.c.o:clang', 'build/obj/app/src/main.cpp.o:gcc']);
    expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('scaled=42\n');
  });
});

describe('C TUs in the planner', () => {
  it('a new header that shadows one a C source reads (-Ib -Ia) recompiles it, and only it', () => {
    const p = project({
      'replibuild.toml': '[project]\nname = "t"\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp", "src/*.c"]\ninclude_dirs = ["b", "a"]\n',
      'a/who.h': '#define WHO 1\n',
      'b/README.md': 'overrides of a/ go here\n',
      'src/who.c': '#include <stdlib.h>\n#include "who.h"\nint who(void) { return WHO + (int)abs(0); }\n',
      'src/main.cpp': '#include <cstdio>\nextern "C" int who(void);\nint main() { std::printf("%d\\n", who()); return 0; }\n',
    });
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 2 });
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 0, cached: 0, upToDate: 2 });
    p.write('b/who.h', '#define WHO 2\n');
    const s = compileOk(p, ['--no-daemon']);
    expect(s.compiled + s.cached).toBe(1);
    expect(s.upToDate).toBe(1);
    expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('2\n');
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 0, cached: 0, upToDate: 2 });
  });
});

describe('a missing C compiler', () => {
  it('is an error only for a project with C sources, named against its setting', () => {
    const p = project({ ...MIXED, 'replibuild.toml': TOML('cc = "no-such-cc-4242"\n') });
    const r = cliSync(['compile', '--no-daemon'], p);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/replibuild\.toml:\d+:\d+: error: \[compiler\] cc = "no-such-cc-4242": not found on PATH/);
    p.write('replibuild.toml', TOML('cc = "no-such-cc-4242"\n').replace(', "src/c/*.c"', ''));
    p.write('src/main.cpp', 'int main() { return 0; }\n');
    expect(compileOk(p, ['--no-daemon'])).toMatchObject({ compiled: 1, failed: 0 });
  });
});

describe('compile_commands.json', () => {
  const stamp = (p: TestProject) => {
    const st = statSync(join(p.root, 'compile_commands.json'));
    return `${st.ino}:${st.mtimeMs}`;
  };

  it('is rewritten when a command changes, not on builds that change none', () => {
    const p = project(MIXED);
    expect(cliSync(['start'], p).code).toBe(0);
    compileOk(p);
    const first = stamp(p);
    compileOk(p);
    // A no-op on the journal alone: discovery does not take our own write for a change.
    const status = JSON.parse(cliSync(['status', '--json'], p).stdout) as { daemons: { name: string; details: { noop_builds?: number } }[] };
    expect(status.daemons.find((d) => d.name === 'orchestrator')!.details.noop_builds).toBe(1);
    p.write('src/main.cpp', `${p.read('src/main.cpp')}// edited\n`);
    expect(compileOk(p)).toMatchObject({ compiled: 1 });
    expect(stamp(p)).toBe(first);
    // --no-daemon is the same engine: it finds the file right and leaves it too.
    p.write('src/main.cpp', `${p.read('src/main.cpp')}// again\n`);
    // Compiled here, or found in the cache the daemons compiled it into ahead of the build.
    const again = compileOk(p, ['--no-daemon']);
    expect(again.compiled + again.cached).toBe(1);
    expect(stamp(p)).toBe(first);

    p.write('replibuild.toml', p.read('replibuild.toml').replace('"-Wall"', '"-Wall", "-DNEW_C=1"'));
    expect(compileOk(p)).toMatchObject({ compiled: 1 });
    expect(stamp(p)).not.toBe(first);
    expect(readDb(p).find((e) => e.file === 'src/c/scale.c')!.arguments).toContain('-DNEW_C=1');
    // A deleted database comes back with the next build that plans (the daemon's memory of it is no excuse).
    rmSync(join(p.root, 'compile_commands.json'));
    p.write('src/main.cpp', `${p.read('src/main.cpp')}// third\n`);
    expect(compileOk(p)).toMatchObject({ compiled: 1 });
    expect(readDb(p)).toHaveLength(2);
    // Nor is an unchanged config: a database edited by hand is put right by the next build that plans.
    p.write('compile_commands.json', '[]\n');
    p.write('src/main.cpp', `${p.read('src/main.cpp')}// fourth\n`);
    expect(compileJson(p)).toMatchObject({ compiled: 1 });
    expect(readDb(p)).toHaveLength(2);
  });

  it('off: never written, and a file of the user\'s own is left as it is', () => {
    const p = project({ ...MIXED, 'replibuild.toml': TOML().replace('name = "mixed"', 'name = "mixed"\ncompile_commands = false') });
    compileOk(p, ['--no-daemon']);
    expect(existsSync(join(p.root, 'compile_commands.json'))).toBe(false);
    p.write('compile_commands.json', '[]\n');
    p.write('src/main.cpp', `${p.read('src/main.cpp')}// edited\n`);
    compileOk(p, ['--no-daemon']);
    expect(p.read('compile_commands.json')).toBe('[]\n');
  });

  it('gives clangd the C command for a C source: C11, c_flags, the include dir', () => {
    const p = project(MIXED);
    compileOk(p, ['--no-daemon']);
    const r = spawnSync('clangd', ['--check=src/c/scale.c'], { cwd: p.root, env: p.env, encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toMatch(/Compile command from CDB is: .*-std=c11 .*-DONLY_C=1 .*-Iinclude/);
    // The #error in scale.c fires unless it is parsed as C11 with c_flags, as the build does.
    expect(r.stderr).not.toMatch(/file not found|not compiled as C11/);
    expect(r.stderr).toMatch(/All checks completed, 0 errors/);
  });

  it('lets clangd find every header of examples/static-lib, which it cannot without it', () => {
    const p = project({});
    cpSync(join(REPO, 'examples', 'static-lib'), p.root, { recursive: true });
    const check = () => spawnSync('clangd', ['--check=src/app/main.cpp'], { cwd: p.root, env: p.env, encoding: 'utf8', timeout: 60_000 });
    // Without the database clangd guesses a command, and <mathlib/stats.h> (a public
    // include dir of another target) is not found: the check below can fail.
    const before = check();
    expect(before.stderr).toMatch(/'mathlib\/stats\.h' file not found/);

    compileOk(p, ['--no-daemon']);
    const after = check();
    expect(after.stderr).toContain(`Loaded compilation database from ${join(p.root, 'compile_commands.json')}`);
    expect(after.stderr).toMatch(/Compile command from CDB is: .*-Iinclude/);
    expect(after.stderr).not.toMatch(/file not found/);
    expect(after.stderr).toMatch(/All checks completed, 0 errors/);
    expect(after.status).toBe(0);
  });
});
