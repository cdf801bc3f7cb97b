// ccache "base" suite cases and the uncacheable ones (CACHE-SCENARIOS.md 4–10,
// 14, 15, 17; sccache #1851/#2268 C vs C header, #2122 corruption).

import { chmodSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { getCompilerIdentity } from '../../toolchain/compiler-identity.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { cacache } from '../../cache/cacache-api.js';
import type { CompileRunner } from '../../cache/cached-compile.js';
import { storeKey } from '../../cache/tiers/local.js';
import { Project, compile, counts, cxxIdentity, openCache, setup, type Env } from './cache-fixtures.js';

let env: Env & { dispose(): void };
const extra: Project[] = [];
afterEach(() => {
  env?.dispose();
  extra.splice(0).forEach((p) => p.dispose());
});

/** Content files of every entry of one kind. */
async function contentPaths(dir: string, kind: 'result' | 'manifest'): Promise<string[]> {
  const all = await cacache.ls(join(dir, 'store'));
  return Object.values(all)
    .filter((e) => e.key.startsWith(storeKey(kind, '')))
    .map((e) => e.path);
}

function flipBytes(path: string): void {
  const b = readFileSync(path);
  for (let i = 0; i < 16 && i < b.length; i++) b[b.length - 1 - i] ^= 0x5a;
  chmodSync(path, 0o644);
  writeFileSync(path, b);
}

describe('files changing around the compile (ccache base "Too new source/include file")', () => {
  /** A runner that edits a file right after the compiler ran, as an editor saving mid-build would. */
  const editingRunner = (p: Project, rel: string, text: string): CompileRunner => async (job, id, o) => {
    const r = await runCompile(job, id, o);
    p.write(rel, text);
    return r;
  };

  it('a source changed during the compile is not stored', async () => {
    env = await setup();
    const { p, cache } = env;
    p.write('src/a.cpp', 'int a = 1;\n');
    await p.settle();
    const job = p.job('src/a.cpp', []);
    expect((await compile(cache, job, editingRunner(p, 'src/a.cpp', 'int a = 2;\n'))).outcome).toBe('compiled');
    expect((await counts(cache)).raw.not_stored).toEqual({ 'changed during compile': 1 });
    p.write('src/a.cpp', 'int a = 1;\n');
    await p.settle();
    expect((await compile(cache, job)).outcome).toBe('compiled');
    expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
  });

  it('a header changed during the compile is not stored', async () => {
    env = await setup();
    const { p, cache } = env;
    p.write('include/h.h', 'int h = 1;\n');
    p.write('src/a.cpp', '#include "h.h"\n');
    await p.settle();
    const job = p.job('src/a.cpp', ['-Iinclude']);
    await compile(cache, job, editingRunner(p, 'include/h.h', 'int h = 2;\n'));
    expect((await counts(cache)).raw.not_stored).toEqual({ 'changed during compile': 1 });
    await p.settle();
    expect((await compile(cache, job)).outcome).toBe('compiled');
    expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
  });

  it('a shadowing header appearing during the compile: not stored', async () => {
    env = await setup();
    const { p, cache } = env;
    p.write('a/foo.h', 'int v = 1;\n');
    p.write('src/a.cpp', '#include <foo.h>\n');
    await p.settle();
    const job = p.job('src/a.cpp', ['-Ib', '-Ia']);
    await compile(cache, job, editingRunner(p, 'b/foo.h', 'int v = 2;\n'));
    expect((await counts(cache)).raw.not_stored).toEqual({ 'changed during compile': 1 });
  });

  /** A.cpp saved and compiled at once, as a compile ahead of the build
   *  (daemons/orchestrator/compile-ahead.ts) is, ms after the save; stores after the answer. */
  async function compiledRightAfterSave() {
    env = await setup({ storeInBackground: true });
    const { p, cache } = env;
    p.write('src/a.cpp', 'int a = 1;\n');
    const job = p.job('src/a.cpp', []);
    expect((await compile(cache, job)).outcome).toBe('compiled');
    return { p, cache, job };
  }

  it('a source saved just before the compile is stored once its stamp can vouch, when stores run after the answer', async () => {
    const { cache, job } = await compiledRightAfterSave();
    await cache.flush();
    expect((await counts(cache)).raw.not_stored).toEqual({});
    expect((await compile(cache, job)).outcome).toBe('cached');
  });

  it('a source saved just before the compile and again before its stamp can vouch is not stored', async () => {
    const { p, cache, job } = await compiledRightAfterSave();
    // Saved again once the compile has answered, while its store waits for the window: the
    // same size, quite possibly the same clock tick.
    p.write('src/a.cpp', 'int a = 2;\n');
    await cache.flush();
    expect((await counts(cache)).raw.not_stored).toEqual({ 'changed during compile': 1 });
    p.write('src/a.cpp', 'int a = 1;\n');
    await p.settle();
    expect((await compile(cache, job)).outcome).toBe('compiled');
  });

  it('a header stamped at or after the compile start is too new to store', async () => {
    env = await setup();
    const { p, cache } = env;
    p.write('src/a.cpp', '#include "h.h"\n');
    p.write('include/h.h', 'int h = 1;\n');
    await p.settle();
    // As if written during the compile: a timestamp the racy rule cannot vouch for.
    const soon = new Date(Date.now() + 2000);
    utimesSync(p.path('include/h.h'), soon, soon);
    const job = p.job('src/a.cpp', ['-Iinclude']);
    await compile(cache, job);
    expect((await counts(cache)).raw.not_stored).toEqual({ 'too new': 1 });
    const past = new Date(Date.now() - 2000);
    utimesSync(p.path('include/h.h'), past, past);
    await p.settle(); // ctime moved with utimes; let it age too
    expect((await compile(cache, job)).outcome).toBe('compiled');
    expect((await compile(cache, job)).outcome).toBe('cached');
  });
});

describe('working directory and debug info', () => {
  const SRC = '#include "foo.h"\nint bar() { return foo(); }\n';
  async function twoCheckouts(): Promise<[Project, Project]> {
    const a = new Project('rb-checkout-a-');
    const b = new Project('rb-checkout-b-');
    extra.push(a, b);
    for (const p of [a, b]) {
      p.write('include/foo.h', 'int foo() { return 1; }\n');
      p.write('src/a.cpp', SRC);
    }
    await a.settle();
    return [a, b];
  }

  it('identical sources in two directories hit each other without -g (ccache basedir)', async () => {
    env = await setup();
    const [a, b] = await twoCheckouts();
    await compile(env.cache, a.job('src/a.cpp', ['-Iinclude', '-O2']), env.run);
    const r = await compile(env.cache, b.job('src/a.cpp', ['-Iinclude', '-O2']), env.run);
    expect(r.outcome).toBe('cached');
    expect(r.headers).toContain('include/foo.h');
    // Byte for byte what the compiler makes there.
    const fresh = b.job('src/a.cpp', ['-Iinclude', '-O2'], 'build/fresh.o');
    await runCompile(fresh, await cxxIdentity());
    expect(b.read('build/src/a.cpp.o').equals(b.read('build/fresh.o'))).toBe(true);
    // And it checked b's headers, not a's: a change in b alone misses.
    b.write('include/foo.h', 'int foo() { return 2; }\n');
    await b.settle();
    expect((await compile(env.cache, b.job('src/a.cpp', ['-Iinclude', '-O2']), env.run)).outcome).toBe('compiled');
  });

  it('the directory is hashed with -g (ccache base "Directory is hashed if using -g")', async () => {
    env = await setup();
    const [a, b] = await twoCheckouts();
    await compile(env.cache, a.job('src/a.cpp', ['-Iinclude', '-g']), env.run);
    expect((await compile(env.cache, b.job('src/a.cpp', ['-Iinclude', '-g']), env.run)).outcome).toBe('compiled');
    expect(b.read('build/src/a.cpp.o').includes(Buffer.from(b.root))).toBe(true);
    expect(await counts(env.cache)).toMatchObject({ hits: 0, misses: 2 });
  });

  it('-fdebug-prefix-map of the directory lifts it again', async () => {
    env = await setup();
    const [a, b] = await twoCheckouts();
    const args = (p: Project) => ['-Iinclude', '-g', `-fdebug-prefix-map=${p.root}=.`];
    await compile(env.cache, a.job('src/a.cpp', args(a)), env.run);
    const r = await compile(env.cache, b.job('src/a.cpp', args(b)), env.run);
    expect(r.outcome).toBe('cached');
    const fresh = b.job('src/a.cpp', args(b), 'build/fresh.o');
    await runCompile(fresh, await cxxIdentity());
    expect(b.read('build/src/a.cpp.o').equals(b.read('build/fresh.o'))).toBe(true);
  });
});

describe('compiler identity (ccache base "compiler check")', () => {
  it('a replaced compiler misses, a touched one too', async () => {
    env = await setup();
    const { p, cache, run } = env;
    const wrapper = p.path('tools/g++');
    mkdirSync(p.path('tools'));
    writeFileSync(wrapper, '#!/bin/sh\nexec g++ "$@"\n', { mode: 0o755 });
    p.write('src/a.cpp', '#ifdef REPLACED\nint replaced = 1;\n#endif\nint x = 1;\n');
    await p.settle();
    const job: CompileJob = { ...p.job('src/a.cpp', []), compiler: wrapper };
    const id1 = await getCompilerIdentity(wrapper);
    await cache.compile(job, id1, run);
    expect((await cache.compile(job, id1, run)).outcome).toBe('cached');
    const o1 = p.read(job.object);

    writeFileSync(wrapper, '#!/bin/sh\nexec g++ -DREPLACED "$@"\n', { mode: 0o755 });
    const id2 = await getCompilerIdentity(wrapper);
    expect(id2.id).not.toBe(id1.id);
    expect((await cache.compile(job, id2, run)).outcome).toBe('compiled');
    expect(p.read(job.object).equals(o1)).toBe(false);

    const later = new Date(Date.now() + 10_000);
    utimesSync(wrapper, later, later);
    const id3 = await getCompilerIdentity(wrapper);
    expect(id3.id).not.toBe(id2.id);
    expect((await cache.compile(job, id3, run)).outcome).toBe('compiled');
    expect(await counts(cache)).toMatchObject({ hits: 1, misses: 3 });
  });
});

describe('corruption (ccache base "Corrupt result file", direct "Corrupt manifest file")', () => {
  it('a corrupt object is a miss, counted as an error, rebuilt, never returned', async () => {
    env = await setup();
    const { p, cache, run, dir } = env;
    p.write('src/a.cpp', 'int a() { return 1; }\n');
    await p.settle();
    const job = p.job('src/a.cpp', ['-O1']);
    await compile(cache, job, run);
    const good = p.read(job.object);
    const [result] = await contentPaths(dir, 'result');
    flipBytes(result!);
    p.rm('build');
    expect((await compile(cache, job, run)).outcome).toBe('compiled');
    expect(p.read(job.object).equals(good)).toBe(true);
    expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2, errors: 1 });
    expect((await compile(cache, job, run)).outcome).toBe('cached');
    expect(p.read(job.object).equals(good)).toBe(true);
  });

  it('a truncated object is a miss too', async () => {
    env = await setup();
    const { p, cache, run, dir } = env;
    p.write('src/a.cpp', 'int a() { return 1; }\n');
    await p.settle();
    const job = p.job('src/a.cpp', []);
    await compile(cache, job, run);
    const [result] = await contentPaths(dir, 'result');
    chmodSync(result!, 0o644);
    writeFileSync(result!, readFileSync(result!).subarray(0, 100));
    expect((await compile(cache, job, run)).outcome).toBe('compiled');
    expect((await counts(cache)).errors).toBe(1);
  });

  it('a corrupt manifest is removed and counted; the result is still found by preprocessor mode', async () => {
    env = await setup();
    const { p, cache, run, dir } = env;
    p.write('src/a.cpp', 'int a() { return 1; }\n');
    await p.settle();
    const job = p.job('src/a.cpp', []);
    await compile(cache, job, run);
    const good = p.read(job.object);
    const [manifest] = await contentPaths(dir, 'manifest');
    flipBytes(manifest!);
    p.rm('build');
    expect((await compile(cache, job, run)).outcome).toBe('cached');
    expect(p.read(job.object).equals(good)).toBe(true);
    expect(await counts(cache)).toMatchObject({ direct: 0, preprocessed: 1, errors: 1 });
    expect((await compile(cache, job, run)).outcome).toBe('cached');
    expect(await counts(cache)).toMatchObject({ direct: 1, preprocessed: 1, errors: 1 });
  });
});

describe('diagnostics (ccache base "Caching stderr", "Line number in compiler warning")', () => {
  it('replays the warnings of the original compile', async () => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('src/a.cpp', 'int f() {\n  int unused = 3;\n  return 0;\n}\n');
    await p.settle();
    const job = p.job('src/a.cpp', ['-Wall']);
    const miss = await compile(cache, job, run);
    expect(miss.stderr).toMatch(/src\/a\.cpp:2:7: warning: unused variable .unused./);
    const hit = await compile(cache, job, run);
    expect(hit.outcome).toBe('cached');
    expect(hit.stderr).toBe(miss.stderr);
  });

  it('does not cache failures', async () => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('src/a.cpp', 'int f() { return nope; }\n');
    await p.settle();
    const job = p.job('src/a.cpp', []);
    expect((await compile(cache, job, run)).outcome).toBe('failed');
    expect((await compile(cache, job, run)).outcome).toBe('failed');
    expect(run.calls).toBe(2);
    expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
    expect((await counts(cache)).raw.compile_failed).toBe(2);
  });
});

describe('not cached, counted by reason (ccache base "Called for link", "Multiple source files", "Output to stdout")', () => {
  const stub: CompileRunner & { calls: number } = Object.assign(
    async (): Promise<CompileResult> => {
      stub.calls++;
      return { outcome: 'compiled', exit_code: 0, stderr: '', duration_ms: 0, headers: [], compiler_id: 'x' };
    },
    { calls: 0 },
  );

  it.each([
    [['src/a.cpp'], 'called for link'],
    [['-c', 'src/a.cpp', 'src/b.cpp'], 'multiple source files'],
    [['-E', 'src/a.cpp'], 'preprocessor only'],
    [['-c', 'src/a.cpp', '-o', '-'], 'output to stdout'],
    [['-fsyntax-only', '-c', 'src/a.cpp'], '-fsyntax-only'],
    [['-c', '-x', 'objective-c++-header', 'src/a.cpp'], 'precompiled header'],
  ])('%j: %s', async (args, reason) => {
    env = await setup();
    const { p, cache } = env;
    p.write('src/a.cpp', 'int a;\n');
    const job: CompileJob = { cwd: p.root, compiler: 'g++', args, source: 'src/a.cpp', object: 'build/a.o', depfile: 'build/a.d' };
    stub.calls = 0;
    const r = await cache.compile(job, await cxxIdentity(), stub);
    expect(stub.calls).toBe(1);
    expect(r.uncacheable_reason).toBeTruthy();
    const c = await counts(cache);
    expect(c.raw.uncacheable).toEqual({ [reason]: 1 });
    expect(c).toMatchObject({ hits: 0, misses: 0 });
  });

  it('a precompiled header beside an included header disables caching (sccache #2562)', async () => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('include/pch.h', 'inline int pch() { return 1; }\n');
    p.write('src/a.cpp', '#include "pch.h"\nint f() { return pch(); }\n');
    const id = await cxxIdentity();
    const { execFileSync } = await import('node:child_process');
    execFileSync(id.path, ['-x', 'c++-header', 'include/pch.h', '-o', 'include/pch.h.gch'], { cwd: p.root });
    await p.settle();
    const r = await compile(cache, p.job('src/a.cpp', ['-Iinclude']), run);
    expect(r.outcome).toBe('compiled');
    expect(r.uncacheable_reason).toMatch(/pch\.h\.gch/);
    expect((await counts(cache)).raw.uncacheable).toEqual({ 'precompiled header': 1 });
  });

  it('__TIME__ in an include file disables caching (ccache direct "__TIME__ in include file")', async () => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('include/stamp.h', 'static const char *built = __TIME__;\n');
    p.write('src/a.cpp', '#include "stamp.h"\nconst char *get() { return built; }\n');
    await p.settle();
    const job = p.job('src/a.cpp', ['-Iinclude']);
    const r = await compile(cache, job, run);
    expect(r.uncacheable_reason).toMatch(/include\/stamp\.h uses __TIME__/);
    await compile(cache, job, run);
    expect(run.calls).toBe(2);
    expect((await counts(cache)).raw.uncacheable).toEqual({ '__DATE__/__TIME__': 2 });
  });

  it('__DATE__ in the source disables caching', async () => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('src/a.cpp', 'const char *d = __DATE__;\n');
    await p.settle();
    await compile(cache, p.job('src/a.cpp', []), run);
    expect((await counts(cache)).raw.uncacheable).toEqual({ '__DATE__/__TIME__': 1 });
  });

  it('an empty object file is not stored (ccache base "Empty object file")', async () => {
    env = await setup();
    const { p, cache } = env;
    p.write('src/a.cpp', 'int a;\n');
    await p.settle();
    const emptyObject: CompileRunner = async (job, id) => {
      mkdirSync(dirname(join(job.cwd, job.object)), { recursive: true });
      writeFileSync(join(job.cwd, job.object), '');
      writeFileSync(join(job.cwd, job.depfile), `${job.object}: ${job.source}\n`);
      return { outcome: 'compiled', exit_code: 0, stderr: '', duration_ms: 1, headers: [], compiler_id: id.id };
    };
    const job = p.job('src/a.cpp', []);
    await compile(cache, job, emptyObject);
    await compile(cache, job, emptyObject);
    const c = await counts(cache);
    expect(c).toMatchObject({ hits: 0, misses: 2 });
    expect(c.raw.not_stored).toEqual({ 'empty object file': 2 });
  });
});

describe('environment and language', () => {
  it('CPATH is part of the key (ccache direct "CPATH included in hash")', async () => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('one/v.h', 'int v = 1;\n');
    p.write('two/v.h', 'int v = 2;\n');
    p.write('src/a.cpp', '#include <v.h>\n');
    await p.settle();
    const job = p.job('src/a.cpp', []);
    const saved = process.env.CPATH;
    try {
      process.env.CPATH = p.path('one');
      await compile(cache, job, run);
      const o1 = p.read(job.object);
      process.env.CPATH = p.path('two');
      expect((await compile(cache, job, run)).outcome).toBe('compiled');
      expect(p.read(job.object).equals(o1)).toBe(false);
      process.env.CPATH = p.path('one');
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(p.read(job.object).equals(o1)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.CPATH;
      else process.env.CPATH = saved;
    }
  });

  it('the same file compiled as C and as C++ does not collide (sccache #1851, #2268)', async () => {
    env = await setup();
    const { p, cache, run } = env;
    // sizeof('a') is sizeof(int) in C and 1 in C++.
    p.write('src/x.c', 'int char_literal_size(void) { return sizeof(\'a\'); }\n');
    await p.settle();
    const asC = p.job('src/x.c', ['-x', 'c', '-O1'], 'build/c.o');
    const asCxx = p.job('src/x.c', ['-x', 'c++', '-O1'], 'build/cxx.o');
    await compile(cache, asC, run);
    await compile(cache, asCxx, run);
    const c = p.read(asC.object);
    const cxx = p.read(asCxx.object);
    expect(c.equals(cxx)).toBe(false);
    p.rm('build');
    expect((await compile(cache, asCxx, run)).outcome).toBe('cached');
    expect((await compile(cache, asC, run)).outcome).toBe('cached');
    expect(p.read(asC.object).equals(c)).toBe(true);
    expect(p.read(asCxx.object).equals(cxx)).toBe(true);
  });
});

describe('statistics', () => {
  it('survive a restart and report what the CLI prints', async () => {
    env = await setup();
    const { p, cache, run, dir } = env;
    p.write('src/a.cpp', 'int a;\n');
    await p.settle();
    const job = p.job('src/a.cpp', []);
    await compile(cache, job, run);
    await compile(cache, job, run);
    await cache.flush();
    const again = await openCache(dir);
    const r = await again.report(1024 * 1024 * 1024);
    expect(r).toMatchObject({ hits: 1, misses: 1, hit_rate: 0.5, uncacheable: 0, errors: 0, entries: 1, max_size_bytes: 1024 ** 3 });
    expect(r.size_bytes).toBeGreaterThan(0);
    expect(r.mean_miss_ms).toBeGreaterThan(0);
  });
});
