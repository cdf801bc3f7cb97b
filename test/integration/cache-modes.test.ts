// Which mode serves what (mode-policy.ts): depend mode for never-seen TUs (no -E on
// the critical path), comment-blind direct hits, preprocessor mode only where it may
// pay. Processes are counted through onSpawn: a hit spawns nothing, a depend-mode miss
// spawns the compiler alone, preprocessor mode spawns -E first.

import { mkdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import type { CompileCache, CompileCacheOptions, CompileRunner } from '../../cache/cached-compile.js';
import { Project, counts, cxxIdentity, setup, useCompiler, type Env } from './cache-fixtures.js';
import { COMPILERS, type CompilerPair } from '../helpers/compilers.js';

let env: Env & { dispose(): void };
const extra: Project[] = [];
afterEach(() => {
  env?.dispose();
  extra.splice(0).forEach((p) => p.dispose());
});

/** compile() that also reports how many processes it started (compilers and -E runs). */
async function spawns(cache: CompileCache, job: CompileJob, run: CompileRunner): Promise<CompileResult & { spawned: number }> {
  let spawned = 0;
  const r = await cache.compile(job, await cxxIdentity(), run, { onSpawn: () => void spawned++ });
  return { ...r, spawned };
}

const never: Partial<CompileCacheOptions> = { preprocessAlongside: 'never' };

describe.each(COMPILERS.map((c) => [c.name, c] as const))('under %s', (_name, c: CompilerPair) => {
  beforeEach(() => useCompiler(c));

  describe('depend mode (a TU never seen)', () => {
    it('compiles without -E, then hits directly; the restored object is the compiler’s', async () => {
      env = await setup(never);
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo() { return 1; }\n');
      p.write('src/a.cpp', '#include "foo.h"\n#include <vector>\nint bar() { std::vector<int> v{foo()}; return v[0]; }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude', '-O1']);
      const miss = await spawns(cache, job, run);
      expect(miss).toMatchObject({ outcome: 'compiled', spawned: 1 });
      const first = p.read(job.object);
      p.rm('build');
      const hit = await spawns(cache, job, run);
      expect(hit).toMatchObject({ outcome: 'cached', spawned: 0 });
      expect(hit.headers).toEqual(miss.headers);
      expect(p.read(job.object).equals(first)).toBe(true);
      expect(await counts(cache)).toMatchObject({ direct: 1, preprocessed: 0, misses: 1 });
    });

    it('still catches a new header that shadows one in use (-Ib -Ia), beside the source, and through CPATH', async () => {
      env = await setup(never);
      const { p, cache, run } = env;
      mkdirSync(p.path('b'));
      p.write('a/foo.h', 'int value() { return 1; }\n');
      p.write('c/other.h', 'int other() { return 5; }\n');
      p.write('src/a.cpp', '#include "foo.h"\n#include <other.h>\nint get() { return value() + other(); }\n');
      await p.settle();
      const saved = process.env.CPATH;
      process.env.CPATH = `${p.path('cpath')}:${p.path('c')}`;
      try {
        const job = p.job('src/a.cpp', ['-Ib', '-Ia', '-O1']);
        expect((await spawns(cache, job, run)).outcome).toBe('compiled');
        expect((await spawns(cache, job, run)).outcome).toBe('cached');
        for (const [rel, text] of [
          ['b/foo.h', 'int value() { return 2; }\n'],
          ['src/foo.h', 'int value() { return 3; }\n'],
          ['cpath/other.h', 'int other() { return 6; }\n'],
        ] as const) {
          p.write(rel, text);
          await p.settle();
          const r = await spawns(cache, job, run);
          expect(r.outcome, rel).toBe('compiled');
          expect(r.headers.some((h) => h === rel || h === p.path(rel))).toBe(true);
          expect((await spawns(cache, job, run)).outcome).toBe('cached');
        }
      } finally {
        if (saved === undefined) delete process.env.CPATH;
        else process.env.CPATH = saved;
      }
    });

    it('a precompiled header the source would use is uncacheable, though the depfile does not name it', async () => {
      env = await setup(never);
      const { p, cache, run } = env;
      p.write('include/pch.h', 'inline int pch() { return 1; }\n');
      p.write('src/a.cpp', '#include "pch.h"\nint f() { return pch(); }\n');
      const id = await cxxIdentity();
      const { execFileSync } = await import('node:child_process');
      execFileSync(id.path, ['-x', 'c++-header', 'include/pch.h', '-o', 'include/pch.h.gch'], { cwd: p.root });
      await p.settle();
      const r = await spawns(cache, p.job('src/a.cpp', ['-Iinclude']), run);
      expect(r.outcome).toBe('compiled');
      expect(r.uncacheable_reason).toMatch(/pch\.h\.gch/);
      expect((await counts(cache)).raw.uncacheable).toEqual({ 'precompiled header': 1 });
    });

    it('__TIME__ in a header read by the compile: uncacheable', async () => {
      env = await setup(never);
      const { p, cache, run } = env;
      p.write('include/stamp.h', 'static const char *built = __TIME__;\n');
      p.write('src/a.cpp', '#include "stamp.h"\nconst char *get() { return built; }\n');
      await p.settle();
      const r = await spawns(cache, p.job('src/a.cpp', ['-Iinclude']), run);
      expect(r.uncacheable_reason).toMatch(/include\/stamp\.h uses __TIME__/);
      expect((await counts(cache)).raw.uncacheable).toEqual({ '__DATE__/__TIME__': 1 });
    });

    it('a header or source changed during the compile is not stored', async () => {
      env = await setup(never);
      const { p, cache } = env;
      p.write('include/h.h', 'int h = 1;\n');
      p.write('src/a.cpp', '#include "h.h"\n');
      await p.settle();
      const editing = (rel: string, text: string): CompileRunner => async (job, id, o) => {
        const r = await runCompile(job, id, o);
        p.write(rel, text);
        return r;
      };
      const job = p.job('src/a.cpp', ['-Iinclude']);
      await cache.compile(job, await cxxIdentity(), editing('include/h.h', 'int h = 2;\n'));
      await p.settle();
      await cache.compile(job, await cxxIdentity(), editing('src/a.cpp', '#include "h.h"\nint more;\n'));
      expect((await counts(cache)).raw.not_stored).toEqual({ 'changed during compile': 2 });
    });

    it('another checkout of the same sources hits directly (no -g)', async () => {
      env = await setup(never);
      const a = new Project('rb-modes-a-');
      const b = new Project('rb-modes-b-');
      extra.push(a, b);
      for (const p of [a, b]) {
        p.write('include/sub/foo.h', 'int foo() { return 1; }\n');
        p.write('src/a.cpp', '#include "sub/foo.h"\n#include <cstdio>\nint bar() { return foo(); }\n');
      }
      await a.settle();
      expect((await spawns(env.cache, a.job('src/a.cpp', ['-Iinclude', '-O2']), env.run)).spawned).toBe(1);
      const r = await spawns(env.cache, b.job('src/a.cpp', ['-Iinclude', '-O2']), env.run);
      expect(r).toMatchObject({ outcome: 'cached', spawned: 0 });
      expect(await counts(env.cache)).toMatchObject({ direct: 1 });
    });
  });

  describe('comment edits', () => {
    it('a same-length comment edit of a header or of the source is a direct hit', async () => {
      env = await setup(never);
      const { p, cache, run } = env;
      p.write('include/config.h', '// config (revision 1)\n#define LEVEL 3\n/* tuned 2024 */\n');
      p.write('src/a.cpp', '#include "config.h"\n// the source, draft 1\nint level() { return LEVEL; }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude', '-g']);
      await spawns(cache, job, run);
      const o1 = p.read(job.object);
      p.write('include/config.h', '// config (revision 2)\n#define LEVEL 3\n/* tuned 2025 */\n');
      p.write('src/a.cpp', '#include "config.h"\n// the source, draft 2\nint level() { return LEVEL; }\n');
      await p.settle();
      p.rm('build');
      const r = await spawns(cache, job, run);
      // Byte for byte what the compiler makes of the edited files (line info included, -g).
      const fresh = p.job('src/a.cpp', ['-Iinclude', '-g'], 'build/fresh.o');
      await runCompile(fresh, await cxxIdentity());
      expect(p.read(job.object).equals(p.read('build/fresh.o'))).toBe(true);
      if (c.kind === 'clang') {
        // clang -g checksums each file's bytes into the object (DWARF 5): the edit must
        // compile, in depend mode (no -E, which drops comments, could tell the objects apart).
        expect(r).toMatchObject({ outcome: 'compiled', spawned: 1 });
        expect(p.read(job.object).equals(o1)).toBe(false);
        expect(await counts(cache)).toMatchObject({ hits: 0, misses: 2 });
        return;
      }
      expect(r).toMatchObject({ outcome: 'cached', spawned: 0 });
      expect(p.read(job.object).equals(o1)).toBe(true);
      expect(await counts(cache)).toMatchObject({ direct: 1, preprocessed: 0, misses: 1 });
    });

    it('a comment edit that moves code is not: a line more changes __LINE__', async () => {
      env = await setup(never);
      const { p, cache, run } = env;
      p.write('include/where.h', '// one line\nconst int where = __LINE__;\n');
      p.write('src/a.cpp', '#include "where.h"\nint get() { return where; }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude', '-O1']);
      await spawns(cache, job, run);
      p.write('include/where.h', '// now\n// two lines\nconst int where = __LINE__;\n');
      await p.settle();
      expect((await spawns(cache, job, run)).outcome).toBe('compiled');
    });

    it('a real header edit compiles without running -E first; a reworded comment after it runs -E', async () => {
      env = await setup(never);
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo() { /* one */ return 1; }\n');
      p.write('src/a.cpp', '#include "foo.h"\nint bar() { return foo(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude']);
      await spawns(cache, job, run);
      p.write('include/foo.h', 'int foo() { /* one */ return 2; }\n');
      await p.settle();
      // Tokens changed: -E would hash something new, so the compile starts at once.
      expect(await spawns(cache, job, run)).toMatchObject({ outcome: 'compiled', spawned: 1 });
      // A comment reworded at another length before a token (direct mode keeps its column;
      // -E shrinks it to a space), but the entry that
      // held before came from depend mode (no preprocessed key was stored), so -E cannot hit.
      p.write('include/foo.h', 'int foo() { /* reworded at length */ return 2; }\n');
      await p.settle();
      expect(await spawns(cache, job, run)).toMatchObject({ outcome: 'compiled', spawned: 1 });
      expect(await counts(cache)).toMatchObject({ direct: 0, preprocessed: 0, misses: 3 });
    });

    it('with a spare core, -E runs beside a cold compile, so a reworded comment later is a preprocessor hit', async () => {
      env = await setup({ preprocessAlongside: 'always' });
      const { p, cache, run } = env;
      p.write('include/foo.h', 'int foo() { /* one */ return 1; }\n');
      p.write('src/a.cpp', '#include "foo.h"\nint bar() { return foo(); }\n');
      await p.settle();
      const job = p.job('src/a.cpp', ['-Iinclude']);
      expect(await spawns(cache, job, run)).toMatchObject({ outcome: 'compiled', spawned: 2 });
      p.write('include/foo.h', 'int foo() { /* reworded at length */ return 1; }\n');
      await p.settle();
      expect(await spawns(cache, job, run)).toMatchObject({ outcome: 'cached', spawned: 1 });
      expect(await counts(cache)).toMatchObject({ direct: 0, preprocessed: 1, misses: 1 });
      // And the direct entry it added makes the next lookup a direct hit.
      expect(await spawns(cache, job, run)).toMatchObject({ outcome: 'cached', spawned: 0 });
    });
  });
});
