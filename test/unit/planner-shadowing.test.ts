// New headers that shadow included ones, planned without a compiler: the candidate
// derivation, the planner's check with a fake filesystem, the per-plan cost, and
// the pieces on disk (existence checks, search contexts in the state).
import { describe, it, expect, afterEach } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import { projectConfig, resolvedTarget } from '../helpers/config-fixture.js';
import { BUILD_STATE_VERSION, BuildState, type BuildStateReader, type LinkRecord, type ObjectRecord, type SearchContext } from '../../daemons/orchestrator/build-state.js';
import { includeSearchArgs } from '../../toolchain/compile-args.js';
import { existingFiles, type DirListing, type EntryKind, type FileHasher } from '../../daemons/orchestrator/file-hasher.js';
import { shadowCandidates } from '../../daemons/orchestrator/include-search.js';
import { planBuild, type BuildPlan } from '../../daemons/orchestrator/planner.js';

/** A filesystem of path → content; directories are implied by the paths below them. */
class FakeHasher implements FileHasher {
  /** Every directory listed, and every path whose existence was asked. */
  listed: string[] = [];
  asked: string[] = [];
  constructor(readonly files: Map<string, string>) {}
  async hash(p: string): Promise<string | null> {
    return this.files.get(p) ?? null;
  }
  async existing(paths: readonly string[]): Promise<Set<string>> {
    this.asked.push(...paths);
    return new Set(paths.filter((p) => this.files.has(p)));
  }
  async listDir(dir: string): Promise<DirListing> {
    this.listed.push(dir);
    const prefix = dir === '.' ? '' : `${dir}/`;
    const out = new Map<string, EntryKind>();
    for (const f of this.files.keys()) {
      if (!f.startsWith(prefix) || (prefix === '' && f.startsWith('/'))) continue;
      const rest = f.slice(prefix.length);
      const i = rest.indexOf('/');
      out.set(i < 0 ? rest : rest.slice(0, i), i < 0 ? 'file' : 'dir');
    }
    return out.size ? out : null;
  }
}

/** The same filesystem seen only through hash(): the planner asks about each candidate path. */
class HashOnly implements FileHasher {
  constructor(readonly files: Map<string, string>) {}
  async hash(p: string): Promise<string | null> {
    return this.files.get(p) ?? null;
  }
}

class FakeState implements BuildStateReader {
  objects = new Map<string, ObjectRecord>();
  links = new Map<string, LinkRecord>();
  searches = new Map<string, SearchContext>();
  getObject(o: string) {
    return this.objects.get(o);
  }
  getLink(t: string) {
    return this.links.get(t);
  }
  getSearch(id: string) {
    return this.searches.get(id);
  }
}

const SYS = '/usr/include/c++/12';
const CTX: SearchContext = { quote: ['src'], chain: ['b', 'a', SYS] };

const target = (name: string, sources: string[]): ResolvedTarget => resolvedTarget({ name, kind: 'executable', sources, include_dirs: ['b', 'a'] });

function configWith(sources: string[]): ProjectConfig {
  return projectConfig('/p', [target('app', sources)], { name: 'p' });
}

/** A built world: every TU read a/foo.h (found under -Ia) and <vector>. */
async function builtWorld(sources = ['src/main.cpp']) {
  const config = configWith(sources);
  const files = new Map<string, string>([
    ['a/foo.h', 'FOO'],
    [`${SYS}/vector`, 'VEC'],
    ...sources.map((s) => [s, `src:${s}`] as [string, string]),
  ]);
  const hasher = new FakeHasher(files);
  const state = new FakeState();
  state.searches.set('ctx', CTX);
  const plan = () => planBuild({ config, targets: [], state, compiler: { id: 'cc' }, hasher });
  const first = await plan();
  for (const tu of first.tus) {
    files.set(tu.object, `obj:${tu.object}`);
    state.objects.set(tu.object, {
      command_hash: tu.command_hash,
      compiler_id: 'cc',
      source: tu.source,
      source_hash: files.get(tu.source)!,
      headers: ['a/foo.h', `${SYS}/vector`].map((path) => ({ path, hash: files.get(path)! })),
      object_hash: `obj:${tu.object}`,
      search: 'ctx',
    });
  }
  for (const l of first.links) {
    files.set(l.output, `out:${l.output}`);
    state.links.set(l.target, {
      command_hash: l.command_hash,
      output: l.output,
      inputs: l.inputs.map((path) => ({ path, hash: files.get(path)! })),
      output_hash: `out:${l.output}`,
    });
  }
  hasher.asked = [];
  hasher.listed = [];
  return { config, files, hasher, state, plan };
}

const reasons = (p: BuildPlan) => Object.fromEntries(p.tus.filter((u) => u.dirty).map((u) => [u.source, u.reason]));

describe('shadow candidates', () => {
  it('are the earlier search dirs and every quote dir, under the name the header was found by', () => {
    expect(shadowCandidates(CTX, 'a/foo.h').sort()).toEqual(['b/foo.h', 'src/foo.h']);
    expect(shadowCandidates(CTX, 'b/foo.h').sort()).toEqual(['src/foo.h']);
    expect(shadowCandidates(CTX, 'a/sub/x.h').sort()).toEqual(['b/sub/x.h', 'src/sub/x.h']);
    expect(shadowCandidates(CTX, `${SYS}/vector`).sort()).toEqual(['a/vector', 'b/vector', 'src/vector']);
  });

  it('a header found next to its includer has none; a dir listed twice counts at its later place', () => {
    expect(shadowCandidates(CTX, 'src/detail/impl.h')).toEqual([]);
    const dup: SearchContext = { quote: [], chain: ['/usr/include', 'inc', '/usr/include'] };
    expect(shadowCandidates(dup, '/usr/include/stdio.h')).toEqual(['inc/stdio.h']);
    // Every way a path splits over the chain counts (-Iinc -Iinc/sub: "sub/x.h" or "x.h").
    const nested: SearchContext = { quote: [], chain: ['z', 'inc', 'inc/sub'] };
    expect(shadowCandidates(nested, 'inc/sub/x.h').sort()).toEqual(['inc/x.h', 'z/sub/x.h', 'z/x.h']);
  });

  it('the command line gives the dirs per option, in order, and what the system-dir probe needs', () => {
    const a = includeSearchArgs(
      ['-std=c++17', '-O2', '-Ib/', '-I', 'a', '-iquote', 'q', '-isystemsys', '-idirafter', 'late', '-DX=1', '-D', 'Y',
        '--sysroot', '/sr', '-nostdinc++', '-include', 'pre.h', '-Wall', '-g', '-c', 'src/m.cpp'],
      'src/m.cpp',
    );
    expect(a).toEqual({
      iquote: ['q'],
      bracket: ['b', 'a'],
      isystem: ['sys'],
      idirafter: ['late'],
      forcedIncludes: true,
      probeArgs: ['-std=c++17', '--sysroot', '/sr', '-nostdinc++'],
    });
  });
});

describe('planner: new headers that shadow included ones', () => {
  it('a new b/foo.h under -Ib -Ia dirties the TU; removing it again does not', async () => {
    const w = await builtWorld();
    expect((await w.plan()).dirty_tus).toBe(0);
    w.files.set('b/foo.h', 'NEW');
    const p = await w.plan();
    expect(reasons(p)).toEqual({ 'src/main.cpp': { kind: 'header-shadowed', header: 'b/foo.h' } });
    expect(p.links[0]!.relink).toBe(true);
    w.files.delete('b/foo.h');
    expect((await w.plan()).dirty_tus).toBe(0);
  });

  it('a foo.h beside the source, and a project file named like a system header', async () => {
    const w = await builtWorld();
    w.files.set('src/foo.h', 'NEW');
    expect(reasons(await w.plan())).toEqual({ 'src/main.cpp': { kind: 'header-shadowed', header: 'src/foo.h' } });
    w.files.delete('src/foo.h');
    w.files.set('a/vector', 'MINE');
    expect(reasons(await w.plan())).toEqual({ 'src/main.cpp': { kind: 'header-shadowed', header: 'a/vector' } });
  });

  it('files that shadow nothing change nothing', async () => {
    const w = await builtWorld();
    for (const f of ['b/bar.h', 'src/other.h', 'a/foo.hpp', '/usr/include/foo.h', 'c/foo.h']) w.files.set(f, 'x');
    expect((await w.plan()).dirty_tus).toBe(0);
  });

  it('a candidate the TU could not see when it compiled never counts for it', async () => {
    const w = await builtWorld();
    w.files.set('b/foo.h', 'was there');
    w.state.objects.get('build/obj/app/src/main.cpp.o')!.shadow_skip = ['b/foo.h'];
    expect((await w.plan()).dirty_tus).toBe(0);
    w.files.set('src/foo.h', 'new');
    expect(reasons(await w.plan())).toEqual({ 'src/main.cpp': { kind: 'header-shadowed', header: 'src/foo.h' } });
  });

  it('a record without its search context is rebuilt', async () => {
    const w = await builtWorld();
    delete w.state.objects.get('build/obj/app/src/main.cpp.o')!.search;
    expect(reasons(await w.plan())).toEqual({ 'src/main.cpp': { kind: 'search-unrecorded' } });
    const w2 = await builtWorld();
    w2.state.searches.clear();
    expect(reasons(await w2.plan())).toEqual({ 'src/main.cpp': { kind: 'search-unrecorded' } });
  });

  it('runs with the journal\'s hint too: the compiler\'s dirs are not watched', async () => {
    const w = await builtWorld();
    w.files.set('b/vector', 'NEW');
    const p = await planBuild({ config: w.config, targets: [], state: w.state, compiler: { id: 'cc' }, hasher: w.hasher, unchanged: () => true });
    expect(reasons(p)).toEqual({ 'src/main.cpp': { kind: 'header-shadowed', header: 'b/vector' } });
  });

  it('lists each directory once per plan, however many TUs share it', async () => {
    const sources = Array.from({ length: 200 }, (_, i) => `src/m${i}.cpp`);
    const w = await builtWorld(sources);
    const p = await w.plan();
    expect(p.dirty_tus).toBe(0);
    expect(w.hasher.listed.sort()).toEqual(['a', 'b', 'src', SYS].sort());
    expect(w.hasher.asked).toEqual([]);
    w.files.set('b/vector', 'x');
    const q = await w.plan();
    expect(q.dirty_tus).toBe(200);
    expect(new Set(q.tus.map((u) => JSON.stringify(u.reason)))).toEqual(new Set([JSON.stringify({ kind: 'header-shadowed', header: 'b/vector' })]));
  });

  it('a hasher that cannot list is asked about the paths instead', async () => {
    const w = await builtWorld();
    const plain = () => planBuild({ config: w.config, targets: [], state: w.state, compiler: { id: 'cc' }, hasher: new HashOnly(w.files) });
    expect((await plain()).dirty_tus).toBe(0);
    w.files.set('src/foo.h', 'NEW');
    expect(reasons(await plain())).toEqual({ 'src/main.cpp': { kind: 'header-shadowed', header: 'src/foo.h' } });
  });
});

describe('on disk', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'replibuild-shadow-'));
    dirs.push(d);
    return d;
  };

  it('existence: files and symlinks to files count, directories and dangling links do not, listed or stat-ed', async () => {
    const root = tmp();
    mkdirSync(join(root, 'inc/dir.h'), { recursive: true });
    writeFileSync(join(root, 'inc/a.h'), '');
    symlinkSync('a.h', join(root, 'inc/link.h'));
    symlinkSync('nowhere.h', join(root, 'inc/dangling.h'));
    const few = ['inc/a.h', 'inc/dir.h', 'inc/link.h', 'inc/dangling.h', 'inc/none.h', 'nodir/x.h', `${root}/inc/a.h`];
    const many = [...few, ...Array.from({ length: 20 }, (_, i) => `inc/n${i}.h`)];
    const want = new Set(['inc/a.h', 'inc/link.h', `${root}/inc/a.h`]);
    expect(await existingFiles(root, few)).toEqual(want);
    const counters = { stats: 0, listings: 0 };
    expect(await existingFiles(root, many, counters)).toEqual(want);
    expect(counters.listings).toBeGreaterThan(0);
    expect(counters.stats).toBeLessThan(many.length);
  });

  it('search contexts are stored once, named by content, and dropped with the last record naming them', async () => {
    const root = tmp();
    const s = await BuildState.load(root);
    const rec: ObjectRecord = { command_hash: 'c', source: 'a.cpp', source_hash: 's', headers: [] };
    s.setObject('a.o', rec, CTX);
    s.setObject('b.o', { ...rec, source: 'b.cpp' }, CTX);
    s.setObject('c.o', { ...rec, source: 'c.cpp' }, { quote: ['other'], chain: CTX.chain });
    await s.save();
    const again = await BuildState.load(root);
    const snap = again.snapshot();
    expect(Object.keys(snap.search_contexts!)).toHaveLength(2);
    expect(Object.keys(snap.search_chains!)).toHaveLength(1);
    const id = again.getObject('a.o')!.search!;
    expect(again.getObject('b.o')!.search).toBe(id);
    expect(again.getSearch(id)).toEqual(CTX);
    again.deleteObject('a.o');
    again.deleteObject('b.o');
    await again.save();
    const pruned = (await BuildState.load(root)).snapshot();
    expect(Object.keys(pruned.search_contexts!)).toHaveLength(1);
    again.deleteObject('c.o');
    await again.save();
    expect((await BuildState.load(root)).snapshot()).toEqual({ version: BUILD_STATE_VERSION, objects: {}, links: {} });
  });
});
