// Direct mode and the invalidation cases around headers (CACHE-SCENARIOS.md 1, 2,
// 3, 11, 12, 13; sccache #2038, #2766, #2321).

import { mkdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { compile, counts, setup, useCompiler, type Env } from './cache-fixtures.js';
import { COMPILERS, type CompilerPair } from '../helpers/compilers.js';

let env: Env & { dispose(): void };
afterEach(() => env?.dispose());

describe.each(COMPILERS.map((c) => [c.name, c] as const))('under %s', (_name, c: CompilerPair) => {
  beforeEach(() => useCompiler(c));

  describe('direct mode', () => {
    it('modified include file: miss, then hit (ccache direct "Modified include file")', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo() { return 1; }\n');
      p.write('src/a.cpp', '#include "foo.h"\nint bar() { return foo(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude', '-O1']);

      expect((await compile(cache, job, run)).outcome).toBe('compiled');
      const first = p.read(job.object);
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(p.read(job.object).equals(first)).toBe(true);
      expect(await counts(cache)).toMatchObject({ direct: 1, misses: 1 });

      p.write('include/foo.h', 'int foo() { return 2; }\n');
      await p.settle();
      expect((await compile(cache, job, run)).outcome).toBe('compiled');
      const second = p.read(job.object);
      expect(second.equals(first)).toBe(false);
      expect(await counts(cache)).toMatchObject({ direct: 1, preprocessed: 0, misses: 2 });

      p.rm('build');
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(p.read(job.object).equals(second)).toBe(true);
      expect(await counts(cache)).toMatchObject({ direct: 2, misses: 2 });
      expect(run.calls).toBe(2);
    });

    it('a hit runs neither the compiler nor the preprocessor, and replays the headers', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo();\n');
      p.write('src/a.cpp', '#include "foo.h"\nint bar() { return foo(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude']);
      const miss = await compile(cache, job, run);
      const hit = await compile(cache, job, run);
      expect(hit.outcome).toBe('cached');
      expect(hit.headers).toEqual(miss.headers);
      expect(hit.headers).toContain('include/foo.h');
      expect(run.calls).toBe(1);
    });

    it('removed header: never a hit (ccache direct "Removed but previously compiled header file")', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo();\n');
      p.write('src/a.cpp', '#include "foo.h"\nint bar() { return foo(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude']);
      await compile(cache, job, run);
      p.rm('include/foo.h');
      const r = await compile(cache, job, run);
      expect(r.outcome).toBe('failed');
      expect(r.stderr).toMatch(c.kind === 'clang' ? /'foo\.h' file not found/ : /foo\.h: No such file/);
      expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
    });

    it.each([
      ['does not exist yet', false],
      ['exists but is empty', true],
    ])('-Ib -Ia: a new b/foo.h shadowing a/foo.h misses when b %s (sccache #2766)', async (_what, bExists) => {
      env = await setup();
      const { p, cache, run } = env;
      if (bExists) mkdirSync(p.path('b'));
      p.write('a/foo.h', 'int value() { return 1; }\n');
      p.write('src/a.cpp', '#include <foo.h>\nint get() { return value(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Ib', '-Ia', '-O1']);
      await compile(cache, job, run);
      const fromA = p.read(job.object);
      expect((await compile(cache, job, run)).outcome).toBe('cached');

      p.write('b/foo.h', 'int value() { return 2; }\n');
      await p.settle();
      const r = await compile(cache, job, run);
      expect(r.outcome).toBe('compiled');
      expect(r.headers).toContain('b/foo.h');
      expect(p.read(job.object).equals(fromA)).toBe(false);
      expect(await counts(cache)).toMatchObject({ hits: 1, misses: 2 });
      // And the new state is cached in turn.
      expect((await compile(cache, job, run)).outcome).toBe('cached');
    });

    it('a new foo.h next to the source captures a quoted include: miss', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int value() { return 1; }\n');
      p.write('src/a.cpp', '#include "foo.h"\nint get() { return value(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude', '-O1']);
      await compile(cache, job, run);
      p.write('src/foo.h', 'int value() { return 3; }\n');
      await p.settle();
      const r = await compile(cache, job, run);
      expect(r.outcome).toBe('compiled');
      expect(r.headers).toContain('src/foo.h');
      expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
    });

    it('changed include order misses', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('a/foo.h', 'int value() { return 1; }\n');
      p.write('b/foo.h', 'int value() { return 2; }\n');
      p.write('src/a.cpp', '#include <foo.h>\nint get() { return value(); }\n');
      await p.settle();
      await compile(cache, p.job('src/a.cpp', ['-Ia', '-Ib', '-O1']), run);
      const r = await compile(cache, p.job('src/a.cpp', ['-Ib', '-Ia', '-O1']), run);
      expect(r.outcome).toBe('compiled');
      expect(r.headers).toContain('b/foo.h');
      expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
    });

    it('a -D flag change misses (sccache #2038)', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('src/a.cpp', '#ifdef HELLO\nint hello = 1;\n#endif\nint always = 2;\n');
      await p.settle();
      const without = p.job('src/a.cpp', []);
      const withHello = p.job('src/a.cpp', ['-DHELLO']);
      await compile(cache, without, run);
      const o1 = p.read(without.object);
      expect((await compile(cache, withHello, run)).outcome).toBe('compiled');
      expect(p.read(withHello.object).equals(o1)).toBe(false);
      expect((await compile(cache, withHello, run)).outcome).toBe('cached');
      expect((await compile(cache, without, run)).outcome).toBe('cached');
      expect(p.read(without.object).equals(o1)).toBe(true);
    });

    it('a -D that changes no token is a preprocessor-mode hit, and the same object', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('src/a.cpp', 'int x = 1;\n');
      await p.settle();
      await compile(cache, p.job('src/a.cpp', ['-DUNUSED=1']), run);
      const r = await compile(cache, p.job('src/a.cpp', ['-DUNUSED=2']), run);
      expect(r.outcome).toBe('cached');
      expect(await counts(cache)).toMatchObject({ direct: 0, preprocessed: 1, misses: 1 });
    });

    it('__FILE__: the same source under another path misses (ccache direct "The source file path is included in the hash")', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('src/a.cpp', 'const char *file() { return __FILE__; }\n');
      await p.settle();
      const j1 = p.job('src/a.cpp', []);
      await compile(cache, j1, run);
      const j2 = p.job('./src/a.cpp', [], 'build/other.o');
      expect((await compile(cache, j2, run)).outcome).toBe('compiled');
      expect(p.read(j2.object).includes(Buffer.from('./src/a.cpp'))).toBe(true);
      expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
    });

    it('the restored depfile names the object asked for (ccache "Dependency file content", sccache #2321)', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo();\n');
      p.write('src/a.cpp', '#include "foo.h"\nint bar() { return foo(); }\n');
      await p.settle();
      // -MD: a hit writes a depfile only when the TU's flags ask for one (hit-depfile.test.ts).
      const j1 = p.job('src/a.cpp', ['-Iinclude', '-MD'], 'build/one/a.o');
      const j2 = p.job('src/a.cpp', ['-Iinclude', '-MD'], 'build/two/a.o');
      await compile(cache, j1, run);
      const r = await compile(cache, j2, run);
      expect(r.outcome).toBe('cached');
      expect(p.read(j2.object).equals(p.read(j1.object))).toBe(true);
      const dep = p.text('build/two/a.d');
      expect(dep.startsWith('build/two/a.o: src/a.cpp')).toBe(true);
      expect(dep).toContain('include/foo.h');
      expect(dep).not.toContain('build/one');
      expect(dep).toBe(p.text('build/one/a.d').replace('build/one/a.o', 'build/two/a.o'));
    });

    it('different sets of headers for the same source both hit later (ccache depend)', async () => {
      env = await setup();
      const { p, cache, run } = env;
      const v1 = '#include "extra.h"\nint top = EXTRA;\n';
      const v2 = 'int top = 7;\n';
      p.write('include/extra.h', '#define EXTRA 5\n');
      p.write('include/top.h', v1);
      p.write('src/a.cpp', '#include "top.h"\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude']);
      await compile(cache, job, run);
      const o1 = p.read(job.object);
      p.write('include/top.h', v2);
      await p.settle();
      await compile(cache, job, run);
      const o2 = p.read(job.object);
      expect(o2.equals(o1)).toBe(false);

      p.write('include/top.h', v1);
      await p.settle();
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(p.read(job.object).equals(o1)).toBe(true);
      p.write('include/top.h', v2);
      await p.settle();
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(p.read(job.object).equals(o2)).toBe(true);
      expect(await counts(cache)).toMatchObject({ direct: 2, misses: 2 });
      expect(run.calls).toBe(2);
    });

    it('-D toggling an #include: both header sets hit later', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('include/a.h', 'int a_value = 1;\n');
      p.write('include/b.h', 'int b_value = 2;\n');
      p.write('src/x.cpp', '#ifdef USE_A\n#include "a.h"\n#else\n#include "b.h"\n#endif\n');
      await p.settle();
      const ja = p.job('src/x.cpp', ['-Iinclude', '-DUSE_A'], 'build/xa.o');
      const jb = p.job('src/x.cpp', ['-Iinclude'], 'build/xb.o');
      await compile(cache, ja, run);
      await compile(cache, jb, run);
      const ra = await compile(cache, ja, run);
      const rb = await compile(cache, jb, run);
      expect([ra.outcome, rb.outcome]).toEqual(['cached', 'cached']);
      expect(ra.headers.filter((h) => h.startsWith('include/'))).toEqual(['include/a.h']);
      expect(rb.headers.filter((h) => h.startsWith('include/'))).toEqual(['include/b.h']);
      expect(await counts(cache)).toMatchObject({ direct: 2, misses: 2 });
    });

    it('a comment-only header edit: direct miss, preprocessor hit, then direct hit', async () => {
      env = await setup();
      const { p, cache, run } = env;
      // The comment sits before a token, so its length is a column (line-tails.ts): direct
      // mode misses; -E shrinks a comment inside a line to a space, so it hits (no -g).
      p.write('include/foo.h', 'int foo() { /* the answer */ return 42; }\n');
      p.write('src/a.cpp', '#include "foo.h"\nint bar() { return foo(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude', '-O1']);
      await compile(cache, job, run);
      const o1 = p.read(job.object);
      p.write('include/foo.h', 'int foo() { /* the answer, reworded at length */ return 42; }\n');
      await p.settle();
      p.rm('build');
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(p.read(job.object).equals(o1)).toBe(true);
      expect(await counts(cache)).toMatchObject({ direct: 0, preprocessed: 1, misses: 1 });
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(await counts(cache)).toMatchObject({ direct: 1, preprocessed: 1, misses: 1 });
      expect(run.calls).toBe(1);
    });
  });

  describe('direct mode: includes that leave no trace in the old depfile', () => {
    it('__has_include that starts finding its header misses', async () => {
      env = await setup();
      const { p, cache, run } = env;
      // sub/ holds nothing the TU reads, so only the probe's name leads there.
      p.write('include/keep.h', 'int keep;\n');
      p.write('include/sub/unrelated.h', '\n');
      p.write('src/a.cpp', '#include "keep.h"\n#if __has_include(<sub/cfg.h>)\n#include <sub/cfg.h>\n#else\nint cfg = 0;\n#endif\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude']);
      await compile(cache, job, run);
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      p.write('include/sub/cfg.h', 'int cfg = 1;\n');
      await p.settle();
      const r = await compile(cache, job, run);
      expect(r.outcome).toBe('compiled');
      expect(r.headers).toContain('include/sub/cfg.h');
    });

    it('-include: a new file of that name in the working directory misses', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('include/config.h', '#define LEVEL 1\n');
      p.write('src/a.cpp', 'int level = LEVEL;\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude', '-include', 'config.h']);
      await compile(cache, job, run);
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      p.write('config.h', '#define LEVEL 2\n');
      await p.settle();
      const r = await compile(cache, job, run);
      expect(r.outcome).toBe('compiled');
      expect(r.headers).toContain('config.h');
    });

    it('project headers are checked through the injected hasher, system headers by stat', async () => {
      const asked: string[] = [];
      const { FileInfoCache } = await import('../../cache/fs-snapshot.js');
      const files = new FileInfoCache(20);
      env = await setup({ hasher: { hash: (path) => (asked.push(path), files.hash(path)) } });
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo();\n');
      p.write('src/a.cpp', '#include "foo.h"\n#include <cstddef>\nint bar() { return foo(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude']);
      await compile(cache, job, run);
      asked.length = 0;
      expect((await compile(cache, job, run)).outcome).toBe('cached');
      expect(asked).toEqual([p.path('include/foo.h')]);
    });

    it('a cancelled build restores nothing', async () => {
      env = await setup();
      const { p, cache, run } = env;
      p.write('src/a.cpp', 'int a;\n');
      await p.settle();
      const job = p.job('src/a.cpp', []);
      await compile(cache, job, run);
      p.rm('build');
      const ac = new AbortController();
      ac.abort();
      const { cxxIdentity } = await import('./cache-fixtures.js');
      await expect(cache.compile(job, await cxxIdentity(), run, { signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
});
