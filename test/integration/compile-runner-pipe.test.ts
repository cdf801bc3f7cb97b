// The runner gives GCC -pipe (compile-runner.ts, spawnArgv): only where it changes nothing
// a user or the cache can see. Real g++, real files.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getCompilerIdentity } from '../../toolchain/compiler-identity.js';
import { runCompile, spawnArgv } from '../../toolchain/compile-runner.js';
import type { CompileJob } from '../../protocol/build.js';

const dir = mkdtempSync(join(tmpdir(), 'rb-pipe-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('spawnArgv', () => {
  const argv = ['-O2', '-c', 'a.cpp', '-o', 'a.o'];
  it('adds -pipe for GCC run here while a core is spare', () => {
    expect(spawnArgv(argv, 'gcc', false, true)).toEqual(['-pipe', ...argv]);
    expect(spawnArgv(argv, 'gcc', false, false)).toBe(argv);
  });
  it('leaves clang, distcc, -save-temps and a -pipe of the flags alone', () => {
    expect(spawnArgv(argv, 'clang', false, true)).toBe(argv);
    expect(spawnArgv(argv, 'gcc', true, true)).toBe(argv);
    for (const flags of [['-save-temps'], ['-save-temps=obj'], ['-pipe']]) {
      const a = [...flags, ...argv];
      expect(spawnArgv(a, 'gcc', false, true)).toBe(a);
    }
  });
});

describe('runCompile with g++', () => {
  writeFileSync(join(dir, 'a.cpp'), '#include <vector>\nint f(int x) { std::vector<int> v{x, 2}; return v[0] * v[1]; }\n');
  const job = (args: string[], object: string): CompileJob => ({
    cwd: dir,
    compiler: 'g++',
    args: [...args, '-c', 'a.cpp'],
    source: 'a.cpp',
    object,
    depfile: `${object}.d`,
  });

  it.each([['-O2'], ['-g', '-O2']])('writes the object g++ writes by hand without -pipe (%s)', async (...flags) => {
    const identity = await getCompilerIdentity('g++');
    const res = await runCompile(job(flags, 'piped.o'), identity);
    expect(res.outcome).toBe('compiled');
    expect(res.stderr).toBe('');
    execFileSync('g++', [...flags, '-c', 'a.cpp', '-o', 'by-hand.o'], { cwd: dir });
    expect(readFileSync(join(dir, 'piped.o')).equals(readFileSync(join(dir, 'by-hand.o')))).toBe(true);
  });

  it('says nothing of -pipe when the flags keep temps', async () => {
    const identity = await getCompilerIdentity('g++');
    const res = await runCompile(job(['-save-temps=obj'], 'kept.o'), identity);
    expect(res.outcome).toBe('compiled');
    expect(res.stderr).toBe('');
  });
});
