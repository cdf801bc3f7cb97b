// The engine's parts against the real filesystem and the real g++:
// compiler identity, the compile runner, build state on disk, the file hasher.

import { describe, it, expect, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompilerNotFoundError,
  findOnPath,
  getCompilerIdentity,
} from '../../toolchain/compiler-identity.js';
import { runCompile, isCancellation, displayCompileCommand } from '../../toolchain/compile-runner.js';
import { readDepfile } from '../../toolchain/depfile.js';
import { BUILD_STATE_VERSION, BuildState, buildStatePath, parseBuildState } from '../../daemons/orchestrator/build-state.js';
import { StatCachingHasher } from '../../daemons/orchestrator/file-hasher.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import { CALC_FILES, calcConfig, listFiles, makeTempProject, removeTempProject } from './build-engine-fixture.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) removeTempProject(r);
});
function project(files: Record<string, string> = CALC_FILES): string {
  const root = makeTempProject(files);
  roots.push(root);
  return root;
}

/** A shell script posing as a compiler; logs each run so memoization can be seen. */
function fakeCompiler(dir: string, name: string, versionLine: string, version: string, fullVersionWorks = true): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    `#!/bin/sh\necho "$1" >> "${dir}/${name}.log"\ncase "$1" in\n` +
      `  --version) echo "${versionLine}";;\n` +
      `  -dumpfullversion) ${fullVersionWorks ? `echo "${version}"` : 'echo "unknown argument" >&2; exit 1'};;\n` +
      `  -dumpversion) echo "${version}";;\n` +
      `  -dumpmachine) echo "x86_64-fake-linux";;\n` +
      `esac\n`,
  );
  chmodSync(path, 0o755);
  return path;
}
const runs = (dir: string, name: string) => readFileSync(join(dir, `${name}.log`), 'utf8').trim().split('\n').length;

describe('compiler identity', () => {
  it('identifies the real g++', async () => {
    const id = await getCompilerIdentity('g++');
    expect(id.path).toBe(findOnPath('g++'));
    expect(id.path.startsWith('/')).toBe(true);
    expect(id.kind).toBe('gcc');
    expect(id.version).toBe(execFileSync('g++', ['-dumpfullversion'], { encoding: 'utf8' }).trim());
    expect(id.machine).toBe(execFileSync('g++', ['-dumpmachine'], { encoding: 'utf8' }).trim());
    expect(id.id).toMatch(/^[0-9a-f]{64}$/);
    expect(await getCompilerIdentity('g++')).toBe(id);
  });

  it('re-runs a compiler only when its file changed, and a replaced compiler gets a new id', async () => {
    const dir = project({});
    const cc = fakeCompiler(dir, 'fcc', 'fcc (GCC) 9.1.0', '9.1.0');
    const a = await getCompilerIdentity(cc);
    expect(a).toMatchObject({ kind: 'gcc', version: '9.1.0', machine: 'x86_64-fake-linux' });
    const probes = runs(dir, 'fcc');
    expect((await getCompilerIdentity(cc)).id).toBe(a.id);
    expect(runs(dir, 'fcc')).toBe(probes);

    // Replaced in place by a new version.
    fakeCompiler(dir, 'fcc', 'fcc (GCC) 9.2.0', '9.2.0');
    const b = await getCompilerIdentity(cc);
    expect(b.version).toBe('9.2.0');
    expect(b.id).not.toBe(a.id);

    // Replaced by an identical copy (a package reinstall): new inode, new id.
    writeFileSync(join(dir, 'copy'), readFileSync(cc));
    chmodSync(join(dir, 'copy'), 0o755);
    const st = (await import('node:fs')).statSync(cc);
    utimesSync(join(dir, 'copy'), st.atime, st.mtime);
    renameSync(join(dir, 'copy'), cc);
    const c = await getCompilerIdentity(cc);
    expect(c.version).toBe('9.2.0');
    expect(c.id).not.toBe(b.id);
  });

  it('finds a compiler on PATH, tells clang apart, and falls back to -dumpversion', async () => {
    const dir = project({});
    fakeCompiler(dir, 'fclang++', 'Debian clang version 14.0.6', '14.0.6', false);
    const id = await getCompilerIdentity('fclang++', { env: { PATH: `/nonexistent:${dir}` } });
    expect(id).toMatchObject({ path: join(dir, 'fclang++'), kind: 'clang', version: '14.0.6' });
  });

  it('a missing compiler is a typed error that says what to do', async () => {
    await expect(getCompilerIdentity('no-such-cxx-4242')).rejects.toThrow(CompilerNotFoundError);
    await expect(getCompilerIdentity('no-such-cxx-4242')).rejects.toThrow(/not on PATH.*\[compiler\] cxx/);
    await expect(getCompilerIdentity('./bin/g++', { cwd: '/nonexistent' })).rejects.toThrow(/no executable file at that path/);
  });
});

describe('compile runner', () => {
  it('compiles into place, lists headers without the source, keeps stderr verbatim', async () => {
    const root = project({ ...CALC_FILES, 'src/lib/add.cpp': '#include "calc/calc.h"\nint add(int a, int b) { int unused; return a + b; }\n' });
    const config = calcConfig(root);
    const identity = await getCompilerIdentity('g++');
    const job = compileJobFor(config, config.targets[0]!, 'src/lib/add.cpp');
    job.args.unshift('-Wall');
    const spawned: number[] = [];
    const exited: number[] = [];
    const r = await runCompile(job, identity, { onSpawn: (p) => spawned.push(p), onExit: (p) => exited.push(p) });
    expect(r.outcome).toBe('compiled');
    expect(r.compiler_id).toBe(identity.id);
    expect(r.headers).toContain('include/calc/calc.h');
    expect(r.headers).not.toContain('src/lib/add.cpp');
    expect(r.stderr).toMatch(/^src\/lib\/add\.cpp:2:\d+: warning: unused variable/m);
    expect(r.stderr).not.toContain('\x1b[');
    expect(spawned).toHaveLength(1);
    expect(exited).toEqual(spawned);
    expect(existsSync(join(root, job.object))).toBe(true);
    const dep = await readDepfile(join(root, job.depfile));
    expect(dep.targets).toEqual([job.object]);
    expect(listFiles(join(root, 'build')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // The command as run, the root prefix maps included (a copy-paste gives the same object).
    expect(displayCompileCommand(job)).toBe(
      `g++ -Wall -std=c++17 -fdebug-prefix-map=${root}=. -fmacro-prefix-map=${root}=. -O0 -Iinclude -c src/lib/add.cpp -MD -MF build/obj/calc/src/lib/add.cpp.d -MT build/obj/calc/src/lib/add.cpp.o -o build/obj/calc/src/lib/add.cpp.o`,
    );
  });

  it('a compiler that cannot be started gives a failed result that says so', async () => {
    const root = project();
    const config = calcConfig(root);
    const job = compileJobFor(config, config.targets[0]!, 'src/lib/add.cpp');
    const r = await runCompile(job, { path: '/nonexistent/g++', id: 'x', cache_id: 'x', kind: 'gcc' });
    expect(r).toMatchObject({ outcome: 'failed', exit_code: 127 });
    expect(r.stderr).toMatch(/cannot run compiler \/nonexistent\/g\+\+.*ENOENT/);
  });

  it('a compile that writes no object fails clearly and leaves nothing behind', async () => {
    const root = project();
    const config = calcConfig(root);
    const job = compileJobFor(config, config.targets[0]!, 'src/lib/add.cpp');
    job.args.push('-fsyntax-only');
    const r = await runCompile(job, await getCompilerIdentity('g++'));
    expect(r.outcome).toBe('failed');
    expect(r.stderr).toMatch(/wrote no object/);
    expect(readdirSync(join(root, 'build/obj/calc/src/lib'))).toEqual([]);
  });

  it('an already aborted signal is a cancellation, not a failure', async () => {
    const root = project();
    const config = calcConfig(root);
    const job = compileJobFor(config, config.targets[0]!, 'src/lib/add.cpp');
    await expect(runCompile(job, await getCompilerIdentity('g++'), { signal: AbortSignal.abort() })).rejects.toSatisfy(isCancellation);
  });
});

describe('build state on disk', () => {
  const rec = { command_hash: 'c', compiler_id: 'i', source: 'a.cpp', source_hash: 's', headers: [{ path: 'a.h', hash: 'h' }], object_hash: 'o' };

  it('round-trips, writes atomically, and reads corrupt or foreign files as empty', async () => {
    const root = project({});
    const s = await BuildState.load(root);
    expect(s.getObject('a.o')).toBeUndefined();
    s.setObject('a.o', rec);
    s.setLink('app', { command_hash: 'l', output: 'build/bin/app', inputs: [{ path: 'a.o', hash: 'o' }] });
    await s.save();
    expect(readdirSync(join(root, '.replibuild/state'))).toEqual(['build-state.json']);
    const again = await BuildState.load(root);
    expect(again.getObject('a.o')).toEqual(rec);
    expect(again.getLink('app')?.command_hash).toBe('l');

    for (const junk of ['{not json', '[]', JSON.stringify({ version: 999, objects: {}, links: {} }), '']) {
      writeFileSync(buildStatePath(root), junk);
      expect((await BuildState.load(root)).snapshot()).toEqual({ version: BUILD_STATE_VERSION, objects: {}, links: {} });
    }
    const mixed = parseBuildState(JSON.stringify({ version: 1, objects: { 'a.o': rec, 'b.o': { command_hash: 1 } }, links: { x: null } }));
    expect(Object.keys(mixed.objects)).toEqual(['a.o']);
    expect(mixed.links).toEqual({});
  });

  it('two writers keep each other\'s records', async () => {
    const root = project({});
    mkdirSync(join(root, '.replibuild/state'), { recursive: true });
    const a = await BuildState.load(root);
    const b = await BuildState.load(root);
    a.setObject('a.o', rec);
    b.setObject('b.o', { ...rec, source: 'b.cpp' });
    b.deleteObject('gone.o');
    await Promise.all([a.save(), b.save()]);
    const both = await BuildState.load(root);
    expect(Object.keys(both.snapshot().objects).sort()).toEqual(['a.o', 'b.o']);
    // A delete is a change too.
    a.deleteObject('b.o');
    await a.save();
    expect(Object.keys((await BuildState.load(root)).snapshot().objects)).toEqual(['a.o']);
  });

  it('the last writer saves again without reading back, yet a save after another writer\'s merges it', async () => {
    const root = project({});
    const a = await BuildState.load(root);
    a.setObject('a.o', rec);
    await a.save();
    a.setObject('a2.o', rec);
    await a.save(); // the file is still a's own: written from memory
    const b = await BuildState.load(root);
    expect(Object.keys(b.snapshot().objects).sort()).toEqual(['a.o', 'a2.o']);
    b.setObject('b.o', rec);
    await b.save();
    a.setObject('a3.o', rec);
    a.deleteObject('a.o');
    await a.save(); // b wrote since: read and merged
    expect(Object.keys((await BuildState.load(root)).snapshot().objects).sort()).toEqual(['a2.o', 'a3.o', 'b.o']);
    // The state file removed under a (replibuild clean): a's next save holds only what changed since.
    rmSync(buildStatePath(root));
    a.setObject('a4.o', rec);
    await a.save();
    expect(Object.keys((await BuildState.load(root)).snapshot().objects)).toEqual(['a4.o']);
  });
});

describe('file hasher', () => {
  it('hashes content, says null for missing files, and re-reads only changed files', async () => {
    const root = project({ 'a.h': 'one\n' });
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'a.h'), old, old);
    const h = new StatCachingHasher(root, { racyWindowMs: 0 });
    const first = await h.hash('a.h');
    expect(first).toBe(createHash('sha256').update('one\n').digest('hex'));
    expect(await h.hash(join(root, 'a.h'))).toBe(first);
    expect(h.counters).toEqual({ reads: 1, hits: 1 });
    expect(await h.hash('missing.h')).toBeNull();
    expect(await h.hash('.')).toBeNull();

    // Same size, mtime put back: the ctime still moves, so it is read again.
    writeFileSync(join(root, 'a.h'), 'two\n');
    utimesSync(join(root, 'a.h'), old, old);
    const second = await h.hash('a.h');
    expect(second).not.toBe(first);
    expect(h.counters.reads).toBe(2);

    // Touched but unchanged: read again, same hash.
    const now = new Date();
    utimesSync(join(root, 'a.h'), now, now);
    expect(await h.hash('a.h')).toBe(second);
  });

  it('never trusts its cache for a file changed within the last moments', async () => {
    const root = project({ 'gen.h': 'aaa\n' });
    const h = new StatCachingHasher(root);
    const a = await h.hash('gen.h');
    // Same size, very likely the same timestamp tick: only the content tells.
    writeFileSync(join(root, 'gen.h'), 'bbb\n');
    const b = await h.hash('gen.h');
    expect(b).not.toBe(a);
    expect(b).toBe(createHash('sha256').update('bbb\n').digest('hex'));
  });
});
