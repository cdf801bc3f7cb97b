import { describe, it, expect } from 'vitest';
import { existsSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BuildEvent, BuildRequest } from '../../protocol/build.js';
import type { ProjectConfig } from '../../config/types.js';
import { runBuild } from '../../daemons/orchestrator/build-engine.js';
import { cleanProject } from '../../daemons/orchestrator/clean-project.js';
import { BuildState, buildStatePath } from '../../daemons/orchestrator/build-state.js';
import {
  calcConfig,
  countingCompiler,
  projectConfig,
  engineTestSetup,
  runProgram,
  target,
} from './build-engine-fixture.js';

const REQUEST: BuildRequest = { targets: [], jobs: 2, keep_going: false, verbose: false };

const setup = engineTestSetup();

const project = (files?: Record<string, string>): string => setup.project(files);

async function build(config: ProjectConfig, request: Partial<BuildRequest> = {}) {
  const { compile, compiled } = countingCompiler(setup.identity);
  const events: BuildEvent[] = [];
  const summary = await runBuild({
    config,
    request: { ...REQUEST, ...request },
    compile,
    compilerIdentity: setup.identity,
    onEvent: (e) => events.push(e),
  });
  return { summary, compiled: compiled.sort(), events };
}

describe('build engine with the real g++', () => {
  it('builds a static library and an executable cold, then does nothing', async () => {
    const root = project();
    const config = calcConfig(root);
    const cold = await build(config, { verbose: true });
    expect(cold.summary).toMatchObject({ ok: true, compiled: 3, upToDate: 0, linked: 2, failed: 0 });
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 0\n');
    expect(existsSync(join(root, 'build/lib/libcalc.a'))).toBe(true);
    expect(existsSync(join(root, 'build/obj/calc/src/lib/add.cpp.o'))).toBe(true);
    expect(existsSync(join(root, 'build/obj/calc/src/lib/add.cpp.d'))).toBe(true);

    const plan = cold.events.find((e) => e.type === 'plan');
    expect(plan).toEqual({ type: 'plan', total_tus: 3, dirty_tus: 3, links: 2 });
    const tus = cold.events.filter((e) => e.type === 'tu');
    expect(tus.map((e) => e.type === 'tu' && e.done).sort()).toEqual([1, 2, 3]);
    const first = tus[0]!;
    // --verbose shows the command as run: the root prefix maps included.
    expect(first.type === 'tu' && first.command).toMatch(/^g\+\+ -std=c\+\+17 -fdebug-prefix-map=\S+=\. -fmacro-prefix-map=\S+=\. -O0 -Iinclude -c src\/\S+\.cpp -MD -MF build\/obj\//);
    expect(first.type === 'tu' && first.command).toContain(`-fdebug-prefix-map=${root}=.`);
    const links = cold.events.filter((e) => e.type === 'link');
    expect(links.map((e) => e.type === 'link' && e.target)).toEqual(['calc', 'app']);
    expect(links[1]!.type === 'link' && links[1]!.command).toBe('g++ build/obj/app/src/app/main.cpp.o build/lib/libcalc.a -o build/bin/app');

    const state = await BuildState.load(root);
    const rec = state.getObject('build/obj/app/src/app/main.cpp.o')!;
    expect(rec.headers.map((h) => h.path)).toEqual(expect.arrayContaining(['include/calc/calc.h', 'include/calc/extra.h']));
    expect(rec.headers.every((h) => /^[0-9a-f]{64}$/.test(h.hash))).toBe(true);

    const noop = await build(config);
    expect(noop.summary).toMatchObject({ ok: true, compiled: 0, upToDate: 3, linked: 0 });
    expect(noop.compiled).toEqual([]);
    expect(noop.events.filter((e) => e.type === 'tu' || e.type === 'link')).toEqual([]);
  });

  it('recompiles exactly the edited .cpp, and exactly the k TUs that read an edited header', async () => {
    const root = project();
    const config = calcConfig(root);
    expect((await build(config)).summary.ok).toBe(true);

    writeFileSync(join(root, 'src/lib/twice.cpp'), '#include "calc/calc.h"\nint twice(int a) { return 2 * a; }\n');
    const one = await build(config);
    expect(one.compiled).toEqual(['build/obj/calc/src/lib/twice.cpp.o']);
    expect(one.summary).toMatchObject({ ok: true, compiled: 1, upToDate: 2 });
    expect(one.summary.linked).toBeGreaterThanOrEqual(1);

    writeFileSync(join(root, 'include/calc/extra.h'), '#pragma once\n// edited\nconstexpr int kExtra = 1;\n');
    const k = await build(config);
    expect(k.compiled).toEqual(['build/obj/app/src/app/main.cpp.o', 'build/obj/calc/src/lib/add.cpp.o']);
    expect(k.summary).toMatchObject({ ok: true, compiled: 2, upToDate: 1 });
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 0\n');
  });

  it('a touched but unchanged file compiles nothing', async () => {
    const root = project();
    const config = calcConfig(root);
    await build(config);
    const later = new Date(Date.now() + 5000);
    for (const f of ['src/lib/add.cpp', 'include/calc/calc.h', 'include/calc/extra.h']) utimesSync(join(root, f), later, later);
    const r = await build(config);
    expect(r.compiled).toEqual([]);
    expect(r.summary).toMatchObject({ ok: true, compiled: 0, linked: 0, upToDate: 3 });
  });

  it('a changed define recompiles and the program prints the new value', async () => {
    const root = project();
    expect((await build(calcConfig(root, ['GREETING=41']))).summary.ok).toBe(true);
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 41\n');
    const r = await build(calcConfig(root, ['GREETING=42']));
    expect(r.compiled).toEqual(['build/obj/app/src/app/main.cpp.o']);
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 42\n');
  });

  it('a compile error fails the build in gcc shape, keeping and recording the good objects', async () => {
    const root = project();
    const config = calcConfig(root);
    writeFileSync(join(root, 'src/lib/twice.cpp'), '#include "calc/calc.h"\nint twice(int a) {\n  return a +* ;\n}\n');
    const r = await build(config, { keep_going: true });
    expect(r.summary.ok).toBe(false);
    expect(r.summary.failed).toBe(1);
    expect(r.summary.compiled).toBe(2);
    expect(r.summary.error).toMatch(/src\/lib\/twice\.cpp/);
    const diag = r.events.find((e) => e.type === 'diagnostics');
    expect(diag).toBeDefined();
    expect(diag!.type === 'diagnostics' && diag!.source).toBe('src/lib/twice.cpp');
    expect(diag!.type === 'diagnostics' && diag!.text).toMatch(/^src\/lib\/twice\.cpp:3:\d+: error: /m);
    const failedTu = r.events.find((e) => e.type === 'tu' && e.outcome === 'failed');
    expect(failedTu).toMatchObject({ source: 'src/lib/twice.cpp' });

    const state = await BuildState.load(root);
    expect(state.getObject('build/obj/calc/src/lib/twice.cpp.o')).toBeUndefined();
    expect(state.getObject('build/obj/calc/src/lib/add.cpp.o')).toBeDefined();
    expect(state.getObject('build/obj/app/src/app/main.cpp.o')).toBeDefined();
    expect(existsSync(join(root, 'build/obj/calc/src/lib/add.cpp.o'))).toBe(true);
    expect(existsSync(join(root, 'build/obj/calc/src/lib/twice.cpp.o'))).toBe(false);
    expect(existsSync(join(root, 'build/bin/app'))).toBe(false);

    // Fixed: only the broken one compiles.
    writeFileSync(join(root, 'src/lib/twice.cpp'), '#include "calc/calc.h"\nint twice(int a) { return add(a, a); }\n');
    const fixed = await build(config);
    expect(fixed.compiled).toEqual(['build/obj/calc/src/lib/twice.cpp.o']);
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 0\n');
  });

  it('without keep_going stops scheduling after the first failure', async () => {
    const root = project();
    writeFileSync(join(root, 'src/lib/add.cpp'), 'int add(int a, int b) { return a + ; }\n');
    const r = await build(calcConfig(root), { jobs: 1 });
    expect(r.summary.ok).toBe(false);
    expect(r.summary.failed).toBe(1);
    expect(r.compiled).toEqual(['build/obj/calc/src/lib/add.cpp.o']);
    expect(r.summary.error).toMatch(/--keep-going/);
  });

  it('recompiles a missing object', async () => {
    const root = project();
    const config = calcConfig(root);
    await build(config);
    rmSync(join(root, 'build/obj/calc/src/lib/add.cpp.o'));
    const r = await build(config);
    expect(r.compiled).toEqual(['build/obj/calc/src/lib/add.cpp.o']);
    expect(r.summary.ok).toBe(true);
  });

  it('relinks a missing output without compiling', async () => {
    const root = project();
    const config = calcConfig(root);
    await build(config);
    rmSync(join(root, 'build/bin/app'));
    const r = await build(config);
    expect(r.compiled).toEqual([]);
    expect(r.summary).toMatchObject({ ok: true, linked: 1 });
    expect(runProgram(root, 'build/bin/app')).toBe('5 8 0\n');
  });

  it('a removed header no longer included is fine; one still included is an error', async () => {
    const root = project();
    const config = calcConfig(root);
    await build(config);

    // add.cpp stops including extra.h; main.cpp still does.
    writeFileSync(join(root, 'src/lib/add.cpp'), '#include "calc/calc.h"\nint add(int a, int b) { return a + b; }\n');
    writeFileSync(
      join(root, 'src/app/main.cpp'),
      '#include <cstdio>\n#include "calc/calc.h"\nint main() { std::printf("%d %d\\n", add(2, 3), twice(4)); }\n',
    );
    let r = await build(config);
    expect(r.summary.ok).toBe(true);
    rmSync(join(root, 'include/calc/extra.h'));
    r = await build(config);
    expect(r.summary).toMatchObject({ ok: true, compiled: 0 });

    // Now a header still included disappears.
    rmSync(join(root, 'include/calc/calc.h'));
    r = await build(config, { keep_going: true });
    expect(r.summary.ok).toBe(false);
    expect(r.summary.failed).toBe(3);
    const diag = r.events.find((e) => e.type === 'diagnostics');
    expect(diag!.type === 'diagnostics' && diag!.text).toMatch(/calc\/calc\.h: No such file or directory/);
  });

  it('builds a shared library that the executable finds through its rpath', async () => {
    const root = project({
      'include/greet.h': '#pragma once\nconst char* greeting();\n',
      'src/greet/greet.cpp': '#include "greet.h"\nconst char* greeting() { return "hello"; }\n',
      'src/app/main.cpp': '#include <cstdio>\n#include "greet.h"\nint main() { std::puts(greeting()); }\n',
    });
    const config = projectConfig(root, [
      target({ name: 'greet', kind: 'shared', sources: ['src/greet/greet.cpp'], include_dirs: ['include'] }),
      target({
        name: 'hello',
        kind: 'executable',
        sources: ['src/app/main.cpp'],
        include_dirs: ['include'],
        deps: ['greet'],
        link_deps: ['greet'],
        link_flags: ['-Wl,-rpath,$ORIGIN/../lib'],
      }),
    ]);
    const r = await build(config, { verbose: true });
    expect(r.summary).toMatchObject({ ok: true, compiled: 2, linked: 2 });
    const tu = r.events.find((e) => e.type === 'tu' && e.target === 'greet');
    expect(tu!.type === 'tu' && tu!.command).toContain('-fPIC');
    // Run from elsewhere than the project root: the soname + rpath must find the library.
    expect(runProgram(root, 'build/bin/hello')).toBe('hello\n');
  });

  it('cleanProject removes the build dir and the state, and refuses to delete the project', async () => {
    const root = project();
    const config = calcConfig(root);
    await build(config);
    expect(existsSync(buildStatePath(root))).toBe(true);
    await cleanProject(config);
    expect(existsSync(join(root, 'build'))).toBe(false);
    expect(existsSync(buildStatePath(root))).toBe(false);
    expect(existsSync(join(root, 'src/lib/add.cpp'))).toBe(true);
    await expect(cleanProject({ ...config, build_dir: '.' })).rejects.toThrow(/refusing to delete/);
    await expect(cleanProject({ ...config, build_dir: '../x' })).rejects.toThrow(/refusing to delete/);
    const r = await build(config);
    expect(r.summary).toMatchObject({ ok: true, compiled: 3 });
  });

  it('reports an unknown target by name', async () => {
    const root = project();
    const r = await build(calcConfig(root), { targets: ['nope'] });
    expect(r.summary.ok).toBe(false);
    expect(r.summary.error).toMatch(/unknown target "nope".*"calc", "app"/);
  });

  it('building one target builds its deps only', async () => {
    const root = project();
    const r = await build(calcConfig(root), { targets: ['calc'] });
    expect(r.summary).toMatchObject({ ok: true, compiled: 2, linked: 1 });
    expect(existsSync(join(root, 'build/bin/app'))).toBe(false);
    const all = await build(calcConfig(root), { targets: ['app'] });
    expect(all.compiled).toEqual(['build/obj/app/src/app/main.cpp.o']);
  });
});
