import { describe, it, expect } from 'vitest';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import { projectConfig, resolvedTarget, type TargetSpec } from '../helpers/config-fixture.js';
import type { BuildStateReader, LinkRecord, ObjectRecord, SearchContext } from '../../daemons/orchestrator/build-state.js';
import type { FileHasher } from '../../daemons/orchestrator/file-hasher.js';
import { planBuild, selectTargets, UnknownTargetError, type BuildPlan } from '../../daemons/orchestrator/planner.js';
import type { PchLayout, PchNode } from '../../daemons/orchestrator/pch-plan.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import { pchBuildJob } from '../../toolchain/pch-jobs.js';

/** A filesystem of path → content hash; missing = null. */
class FakeHasher implements FileHasher {
  constructor(readonly files: Map<string, string>) {}
  async hash(p: string): Promise<string | null> {
    return this.files.get(p) ?? null;
  }
}

class FakeState implements BuildStateReader {
  objects = new Map<string, ObjectRecord>();
  links = new Map<string, LinkRecord>();
  searches = new Map<string, SearchContext>([['ctx', { quote: ['src'], chain: ['include', '/usr/include/c++/12'] }]]);
  getSearch(id: string) {
    return this.searches.get(id);
  }
  getObject(o: string) {
    return this.objects.get(o);
  }
  getLink(t: string) {
    return this.links.get(t);
  }
}

const t = (spec: TargetSpec): ResolvedTarget => resolvedTarget({ include_dirs: ['include'], ...spec });

const config: ProjectConfig = projectConfig(
  '/p',
  [
    t({ name: 'core', kind: 'static', sources: ['src/core/a.cpp', 'src/core/b.cpp'] }),
    t({ name: 'tool', kind: 'executable', sources: ['src/tool/t.cpp'] }),
    t({ name: 'app', kind: 'executable', sources: ['src/app/main.cpp'], deps: ['core'], link_deps: ['core'] }),
  ],
  { name: 'p' },
);

/** Headers each source reads (as its depfile would name them). */
const HEADERS: Record<string, string[]> = {
  'src/core/a.cpp': ['include/core.h', 'include/a.h'],
  'src/core/b.cpp': ['include/core.h'],
  'src/core/c.c': ['include/core.h'],
  'src/tool/t.cpp': [],
  'src/app/main.cpp': ['include/core.h', '/usr/include/c++/12/cstdio'],
};

function world() {
  const files = new Map<string, string>([
    ['src/core/a.cpp', 'A1'],
    ['src/core/b.cpp', 'B1'],
    ['src/tool/t.cpp', 'T1'],
    ['src/app/main.cpp', 'M1'],
    ['include/core.h', 'C1'],
    ['include/a.h', 'H1'],
    ['/usr/include/c++/12/cstdio', 'S1'],
  ]);
  return { files, hasher: new FakeHasher(files), state: new FakeState() };
}

/** Pretends a build ran: every object and output exists and is recorded. */
function recordAll(plan: BuildPlan, w: ReturnType<typeof world>, compilerId = 'cc1') {
  for (const tu of plan.tus) {
    w.files.set(tu.object, `obj:${tu.object}`);
    w.state.objects.set(tu.object, {
      command_hash: tu.command_hash,
      compiler_id: compilerId,
      source: tu.source,
      source_hash: w.files.get(tu.source)!,
      headers: HEADERS[tu.source]!.map((path) => ({ path, hash: w.files.get(path)! })),
      object_hash: `obj:${tu.object}`,
      search: 'ctx',
    });
  }
  for (const l of plan.links) {
    w.files.set(l.output, `out:${l.output}`);
    w.state.links.set(l.target, {
      command_hash: l.command_hash,
      output: l.output,
      inputs: l.inputs.map((path) => ({ path, hash: w.files.get(path)! })),
      output_hash: `out:${l.output}`,
    });
  }
}

const plan = (w: ReturnType<typeof world>, opts: { targets?: string[]; compiler?: string; cCompiler?: string; config?: ProjectConfig } = {}) =>
  planBuild({
    config: opts.config ?? config,
    targets: opts.targets ?? [],
    state: w.state,
    compiler: { id: opts.compiler ?? 'cc1' },
    ...(opts.cCompiler ? { cCompiler: { id: opts.cCompiler } } : {}),
    hasher: w.hasher,
  });

const reasons = (p: BuildPlan) => Object.fromEntries(p.tus.filter((u) => u.dirty).map((u) => [u.source, u.reason]));
const relinks = (p: BuildPlan) => Object.fromEntries(p.links.filter((l) => l.relink).map((l) => [l.target, l.reason]));

async function builtWorld() {
  const w = world();
  recordAll(await plan(w), w);
  return w;
}

describe('planner', () => {
  it('everything is new on a first build', async () => {
    const p = await plan(world());
    expect(p.tus.map((u) => [u.source, u.reason])).toEqual([
      ['src/core/a.cpp', { kind: 'no-previous-build' }],
      ['src/core/b.cpp', { kind: 'no-previous-build' }],
      ['src/tool/t.cpp', { kind: 'no-previous-build' }],
      ['src/app/main.cpp', { kind: 'no-previous-build' }],
    ]);
    expect(p.dirty_tus).toBe(4);
    expect(relinks(p)).toEqual({ core: { kind: 'no-previous-build' }, tool: { kind: 'no-previous-build' }, app: { kind: 'no-previous-build' } });
    expect(p.tus[0]!.job.object).toBe('build/obj/core/src/core/a.cpp.o');
    expect(p.links.find((l) => l.target === 'app')!.inputs).toEqual(['build/obj/app/src/app/main.cpp.o', 'build/lib/libcore.a']);
  });

  it('a C TU is keyed by the C compiler: replacing either compiler recompiles only its own TUs', async () => {
    const mixed: ProjectConfig = {
      ...config,
      targets: config.targets.map((t) => (t.name === 'core' ? { ...t, sources: [...t.sources, 'src/core/c.c'] } : t)),
    };
    const w = world();
    w.files.set('src/core/c.c', 'CSRC');
    const first = await plan(w, { config: mixed, compiler: 'gxx1', cCompiler: 'gcc1' });
    expect(first.tus.map((u) => [u.source, u.compiler_id, u.job.compiler])).toContainEqual(['src/core/c.c', 'gcc1', 'gcc']);
    expect(first.tus.find((u) => u.source === 'src/core/a.cpp')).toMatchObject({ compiler_id: 'gxx1', job: { compiler: 'g++' } });
    recordAll(first, w);
    for (const tu of first.tus) w.state.objects.get(tu.object)!.compiler_id = tu.compiler_id;
    expect((await plan(w, { config: mixed, compiler: 'gxx1', cCompiler: 'gcc1' })).dirty_tus).toBe(0);
    expect(reasons(await plan(w, { config: mixed, compiler: 'gxx1', cCompiler: 'clang1' }))).toEqual({ 'src/core/c.c': { kind: 'compiler-changed' } });
    const cxxSwitch = reasons(await plan(w, { config: mixed, compiler: 'clangxx1', cCompiler: 'gcc1' }));
    expect(Object.keys(cxxSwitch).sort()).toEqual(['src/app/main.cpp', 'src/core/a.cpp', 'src/core/b.cpp', 'src/tool/t.cpp']);
    // A C source planned without a C compiler is the caller's mistake, never a C++ compile.
    await expect(plan(w, { config: mixed })).rejects.toThrow(/no C compiler/);
  });

  it('nothing to do after a build', async () => {
    const p = await plan(await builtWorld());
    expect(p.dirty_tus).toBe(0);
    expect(p.relinks).toBe(0);
  });

  it('a changed source dirties its TU, relinks its target and the targets linking it', async () => {
    const w = await builtWorld();
    w.files.set('src/core/b.cpp', 'B2');
    const p = await plan(w);
    expect(reasons(p)).toEqual({ 'src/core/b.cpp': { kind: 'source-changed' } });
    expect(relinks(p)).toEqual({
      core: { kind: 'object-recompiled', object: 'build/obj/core/src/core/b.cpp.o' },
      app: { kind: 'dependency-relinked', target: 'core' },
    });
  });

  it('a changed header dirties exactly the TUs that read it, system headers included', async () => {
    const w = await builtWorld();
    w.files.set('include/a.h', 'H2');
    expect(reasons(await plan(w))).toEqual({ 'src/core/a.cpp': { kind: 'header-changed', header: 'include/a.h' } });
    w.files.set('include/a.h', 'H1');
    w.files.set('/usr/include/c++/12/cstdio', 'S2');
    expect(reasons(await plan(w))).toEqual({ 'src/app/main.cpp': { kind: 'header-changed', header: '/usr/include/c++/12/cstdio' } });
  });

  it('a removed header, a removed object and a replaced object are each a reason', async () => {
    const w = await builtWorld();
    w.files.delete('include/core.h');
    w.files.delete('build/obj/tool/src/tool/t.cpp.o');
    w.files.set('build/obj/app/src/app/main.cpp.o', 'someone else wrote this');
    expect(reasons(await plan(w))).toEqual({
      'src/core/a.cpp': { kind: 'header-removed', header: 'include/core.h' },
      'src/core/b.cpp': { kind: 'header-removed', header: 'include/core.h' },
      'src/tool/t.cpp': { kind: 'object-missing' },
      // Replaced too, but what changed for it first is its header.
      'src/app/main.cpp': { kind: 'header-removed', header: 'include/core.h' },
    });
  });

  it('a replaced object is a reason, named after a changed source (an edit compiled ahead replaces its object)', async () => {
    const w = await builtWorld();
    w.files.set('build/obj/app/src/app/main.cpp.o', 'someone else wrote this');
    expect(reasons(await plan(w))).toEqual({ 'src/app/main.cpp': { kind: 'object-changed' } });
    w.files.set('src/app/main.cpp', 'edited');
    expect(reasons(await plan(w))).toEqual({ 'src/app/main.cpp': { kind: 'source-changed' } });
  });

  it('a header recorded as unknown (changed during its compile) never matches', async () => {
    const w = await builtWorld();
    w.state.objects.get('build/obj/core/src/core/b.cpp.o')!.headers[0]!.hash = '';
    expect(reasons(await plan(w))).toEqual({ 'src/core/b.cpp': { kind: 'header-changed', header: 'include/core.h' } });
  });

  it('a changed command or compiler dirties every TU it touches', async () => {
    const w = await builtWorld();
    const defined = { ...config, targets: config.targets.map((x) => (x.name === 'tool' ? { ...x, defines: ['V=2'] } : x)) };
    expect(reasons(await plan(w, { config: defined }))).toEqual({ 'src/tool/t.cpp': { kind: 'flags-changed' } });
    const p = await plan(w, { compiler: 'cc2' });
    expect(new Set(Object.values(reasons(p)).map((r) => r?.kind))).toEqual(new Set(['compiler-changed']));
    expect(p.dirty_tus).toBe(4);
  });

  it('relinks a missing or replaced output, a changed link command, and a changed dep output', async () => {
    const w = await builtWorld();
    w.files.delete('build/bin/tool');
    w.files.set('build/lib/libcore.a', 'rebuilt elsewhere');
    const p = await plan(w);
    expect(p.dirty_tus).toBe(0);
    expect(relinks(p)).toEqual({ core: { kind: 'output-changed' }, tool: { kind: 'output-missing' }, app: { kind: 'dependency-relinked', target: 'core' } });

    const w2 = await builtWorld();
    const flagged = { ...config, targets: config.targets.map((x) => (x.name === 'tool' ? { ...x, link_flags: ['-s'] } : x)) };
    expect(relinks(await plan(w2, { config: flagged }))).toEqual({ tool: { kind: 'link-command-changed' } });

    const w3 = await builtWorld();
    w3.state.links.get('app')!.inputs[1]!.hash = 'old archive';
    expect(relinks(await plan(w3))).toEqual({ app: { kind: 'input-changed', input: 'build/lib/libcore.a' } });
  });

  it('selects requested targets with their deps, in dependency order', async () => {
    expect(selectTargets(config, ['app']).map((x) => x.name)).toEqual(['core', 'app']);
    expect(selectTargets(config, ['tool']).map((x) => x.name)).toEqual(['tool']);
    expect(selectTargets(config, []).map((x) => x.name)).toEqual(['core', 'tool', 'app']);
    const p = await plan(world(), { targets: ['app'] });
    expect(p.tus.map((u) => u.source)).toEqual(['src/core/a.cpp', 'src/core/b.cpp', 'src/app/main.cpp']);
  });

  it('an unknown target is a typed error naming it and the known ones', async () => {
    await expect(plan(world(), { targets: ['app', 'nope'] })).rejects.toThrow(UnknownTargetError);
    try {
      selectTargets(config, ['nope']);
    } catch (e) {
      expect(e).toBeInstanceOf(UnknownTargetError);
      expect((e as UnknownTargetError).target).toBe('nope');
      expect((e as Error).message).toBe('unknown target "nope": replibuild.toml defines "core", "tool", "app"');
    }
  });
});

describe('planner with a precompiled header', () => {
  const core = config.targets[0]!;
  const header = 'build/.pch/core/0123456789abcdef.h';
  const node: PchNode = {
    target: 'core',
    header,
    gch: `${header}.gch`,
    content: '#include <vector>\n',
    job: pchBuildJob(compileJobFor(config, core, 'src/core/a.cpp'), header),
    users: ['src/core/a.cpp', 'src/core/b.cpp'],
  };
  const layout: PchLayout = { nodes: [node], nodeFor: (tn, s) => (tn === 'core' && node.users.includes(s) ? node : undefined) };
  const planPch = (w: ReturnType<typeof world>) => planBuild({ config, targets: [], state: w.state, compiler: { id: 'cc1' }, hasher: w.hasher, pch: layout });

  /** A first build with the PCH, recorded, the PCH's record reading <vector>. */
  async function built() {
    const w = world();
    w.files.set(header, 'P1');
    w.files.set('/usr/include/c++/12/vector', 'V1');
    const p = await planPch(w);
    recordAll(p, w);
    const pch = p.pchs[0]!;
    w.files.set(node.gch, 'G1');
    w.state.objects.set(node.gch, {
      command_hash: pch.command_hash,
      compiler_id: 'cc1',
      source: header,
      source_hash: 'P1',
      headers: [{ path: '/usr/include/c++/12/vector', hash: 'V1' }],
      object_hash: 'G1',
      search: 'ctx',
      compile_ms: 5000,
    });
    return { w, first: p };
  }

  it('its users compile with it after it; an edit inside it rebuilds it and exactly its users', async () => {
    const { w, first } = await built();
    expect(first.pchs.map((p) => [p.object, p.reason])).toEqual([[node.gch, { kind: 'no-previous-build' }]]);
    const users = first.tus.filter((u) => u.job.args.includes('-include')).map((u) => u.source);
    expect(users).toEqual(node.users);
    expect(first.tus.find((u) => u.source === 'src/core/a.cpp')!.job).toMatchObject({ pch: node.gch });
    expect((await planPch(w)).dirty_tus).toBe(0);

    w.files.set('/usr/include/c++/12/vector', 'V2');
    const p = await planPch(w);
    expect(p.pchs.map((x) => x.reason)).toEqual([{ kind: 'header-changed', header: '/usr/include/c++/12/vector' }]);
    expect(reasons(p)).toEqual({
      'src/core/a.cpp': { kind: 'pch-rebuilt', header },
      'src/core/b.cpp': { kind: 'pch-rebuilt', header },
    });
  });

  it('a PCH the compiler refused, or that does not pay, is not used until it changes', async () => {
    const { w } = await built();
    w.state.objects.set(node.gch, { ...w.state.objects.get(node.gch)!, pch_rejected: true });
    const refused = await planPch(w);
    expect(refused.pchs).toEqual([]);
    expect(refused.pch_uses).toMatchObject([{ target: 'core', used: false, why: 'the compiler refused it, or it failed to build' }]);
    expect(refused.tus.some((u) => u.job.args.includes('-include'))).toBe(false);
    expect(reasons(refused)).toEqual({ 'src/core/a.cpp': { kind: 'flags-changed' }, 'src/core/b.cpp': { kind: 'flags-changed' } });

    const { w: w2 } = await built();
    for (const u of node.users) {
      const o = `build/obj/core/${u}.o`;
      w2.state.objects.set(o, { ...w2.state.objects.get(o)!, plain_ms: 900, pch_ms: 700 });
    }
    const unpaid = await planPch(w2);
    // 200 ms saved per TU × 2 TUs < the PCH's 5000 ms.
    expect(unpaid.pch_uses).toMatchObject([{ used: false, why: 'does not pay', saved_ms: -4600, build_ms: 5000 }]);
    expect(unpaid.pchs).toEqual([]);
  });
});
