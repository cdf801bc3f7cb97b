// Concurrent builds writing the same entry, and two processes (two projects'
// daemons) sharing one cache directory, never corrupt it.

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CompileCache } from '../../cache/cached-compile.js';
import { verify } from '../../cache/cleanup.js';
import { readCounters } from '../../cache/stats.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { Project, SLACK_MS, buildForChildProcesses, compile, counts, cxxIdentity, openCache, setup, type Env } from './cache-fixtures.js';

let env: Env & { dispose(): void };
afterEach(() => env?.dispose());

const SRC = '#include <vector>\n#include "foo.h"\nint sum() { std::vector<int> v{1, 2, foo()}; int s = 0; for (int x : v) s += x; return s; }\n';

describe('in one process', () => {
  it('many compiles of one TU at once through separate cache instances', async () => {
    env = await setup();
    const { p, dir } = env;
    p.write('include/foo.h', 'inline int foo() { return 3; }\n');
    p.write('src/a.cpp', SRC);
    await p.settle();
    const caches = await Promise.all(Array.from({ length: 5 }, () => openCache(dir)));
    const id = await cxxIdentity();
    const results = await Promise.all(
      caches.map((c, i) => c.compile(p.job('src/a.cpp', ['-Iinclude', '-O1'], `build/${i}/a.o`), id, runCompile)),
    );
    expect(results.every((r) => r.outcome === 'compiled' || r.outcome === 'cached')).toBe(true);
    const objects = results.map((_, i) => p.read(`build/${i}/a.o`));
    expect(objects.every((o) => o.equals(objects[0]!))).toBe(true);
    expect((await verify(dir)).problems).toEqual([]);
    const after = await openCache(dir);
    expect((await compile(after, p.job('src/a.cpp', ['-Iinclude', '-O1'], 'build/final/a.o'))).outcome).toBe('cached');
    expect(p.read('build/final/a.o').equals(objects[0]!)).toBe(true);
    for (const c of [...caches, after]) expect((await counts(c)).errors).toBe(0);
  });
});

describe('across processes', () => {
  let js: { root: string; dispose(): void };
  beforeAll(async () => {
    js = await buildForChildProcesses();
  });
  afterAll(() => js?.dispose());

  function child(script: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
    return new Promise((res) => {
      const c = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      c.stdout.on('data', (b) => (out += b));
      c.stderr.on('data', (b) => (err += b));
      c.on('close', (code) => res({ code: code ?? -1, out, err }));
    });
  }

  it('four processes compiling the same TU into one cache directory', async () => {
    env = await setup();
    const { p, dir } = env;
    p.write('include/foo.h', 'inline int foo() { return 3; }\n');
    p.write('src/a.cpp', SRC);
    const other = new Project('rb-cache-proj2-'); // a second project with the same sources
    other.write('include/foo.h', 'inline int foo() { return 3; }\n');
    other.write('src/a.cpp', SRC);
    await p.settle();
    const go = join(p.root, 'go');
    const script = join(js.root, 'child.mjs');
    writeFileSync(
      script,
      `import { existsSync } from 'node:fs';
import { CompileCache } from './cache/cached-compile.js';
import { runCompile } from './toolchain/compile-runner.js';
import { getCompilerIdentity } from './toolchain/compiler-identity.js';
const [dir, cwd, object, go] = process.argv.slice(2);
const cache = await CompileCache.open({ dir, racySlackMs: ${SLACK_MS}, statsFlushDelayMs: -1 });
const id = await getCompilerIdentity('g++');
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 2));
const job = { cwd, compiler: 'g++', args: ['-Iinclude', '-O1', '-c', 'src/a.cpp'], source: 'src/a.cpp', object, depfile: object.replace(/\\.o$/, '.d') };
const r = await cache.compile(job, id, runCompile);
await cache.flush();
process.stdout.write(JSON.stringify({ outcome: r.outcome }));
`,
    );
    try {
      const runs = [0, 1, 2, 3].map((i) => child(script, [dir, i % 2 ? other.root : p.root, `build/p${i}/a.o`, go]));
      await new Promise((r) => setTimeout(r, 300)); // let them load and reach the barrier
      writeFileSync(go, '');
      const done = await Promise.all(runs);
      for (const d of done) {
        expect(d.err).toBe('');
        expect(d.code).toBe(0);
        expect(['compiled', 'cached']).toContain(JSON.parse(d.out).outcome);
      }
      const objects = [0, 1, 2, 3].map((i) => (i % 2 ? other : p).read(`build/p${i}/a.o`));
      expect(objects.every((o) => o.equals(objects[0]!))).toBe(true);
      const c = await readCounters(join(dir, 'stats'));
      expect(c.direct_hits + c.preprocessed_hits + c.misses).toBe(4);
      expect(c.errors).toBe(0);
      expect((await verify(dir)).problems).toEqual([]);
      const cache = await CompileCache.open({ dir, racySlackMs: SLACK_MS, statsFlushDelayMs: -1 });
      expect((await compile(cache, p.job('src/a.cpp', ['-Iinclude', '-O1'], 'build/after.o'))).outcome).toBe('cached');
      expect(p.read('build/after.o').equals(objects[0]!)).toBe(true);
    } finally {
      other.dispose();
    }
  });
});
