// The CMake import's mapping, on a reply CMake 3.25 really wrote for
// test/fixtures/cmake-demo (see test/fixtures/cmake-reply/README.md), and on small
// hand-made targets for what that project does not have. No CMake runs here.
import { join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { importCodemodel, type ImportOptions } from '../../config/cmake-import/map.js';
import { configPathOf } from '../../config/cmake-import/paths.js';
import { readReply, type CmakeCodemodel, type CmakeTarget } from '../../config/cmake-import/reply.js';
import { renderProjectToml, type TargetDraft } from '../../config/project-draft.js';
import { REPO } from '../helpers/project.js';

const ROOT = '/tmp/replibuild-cmake-demo';
const recorded = () => readReply(join(REPO, 'test/fixtures/cmake-reply'));
const opts = (over: Partial<ImportOptions> = {}): ImportOptions => ({
  root: ROOT,
  name: 'demo',
  // After configure: everything exists but what the custom command makes at build time.
  exists: (p) => !p.endsWith('/gen.cpp'),
  isDir: () => true,
  ...over,
});

function byName(targets: TargetDraft[]): Record<string, TargetDraft> {
  return Object.fromEntries(targets.map((t) => [t.name, t]));
}

describe('the recorded reply of test/fixtures/cmake-demo', () => {
  it('reads the codemodel, its paths and every target', () => {
    const m = recorded();
    expect(m.project).toBe('demo');
    expect(m.source).toBe(ROOT);
    expect(m.build).toBe(`${ROOT}/.replibuild/cmake-import`);
    expect(m.targets.map((t) => `${t.name}:${t.type}`).sort()).toEqual([
      'app:EXECUTABLE',
      'cpart:OBJECT_LIBRARY',
      'docs:UTILITY',
      'genlib:STATIC_LIBRARY',
      'greet:SHARED_LIBRARY',
      'shapes:STATIC_LIBRARY',
      'tool:EXECUTABLE',
    ]);
  });

  it('maps executables, static, shared and OBJECT libraries with their sources, languages and standards', () => {
    const t = byName(importCodemodel(recorded(), opts()).draft.targets);
    expect(Object.keys(t).sort()).toEqual(['app', 'cpart', 'greet', 'shapes', 'tool']);
    expect(t.app).toMatchObject({ kind: 'executable', sources: ['app/main.cpp'], std: 'gnu++17' });
    // OBJECT → a static library of its own, compiled once with its own settings.
    expect(t.cpart).toMatchObject({ kind: 'static', sources: ['src/cpart.c'], c_std: 'gnu11', include_dirs: ['include'] });
    expect(t.cpart!.c_flags).toEqual(['-fPIC']); // POSITION_INDEPENDENT_CODE: a static library keeps it
    expect(t.cpart!.std).toBeUndefined();
    expect(t.tool).toMatchObject({ kind: 'executable', sources: ['tools/tool.c'], c_std: 'gnu99' });
    expect(t.greet!.kind).toBe('shared');
    // The source configure_file wrote lies in the import's build dir, under the root.
    expect(t.shapes!.sources).toEqual(['src/shapes.cpp', '.replibuild/cmake-import/version.cpp']);
  });

  it('gives each target the include dirs and defines CMake resolved for it, configured headers and INTERFACE ones included', () => {
    const t = byName(importCodemodel(recorded(), opts()).draft.targets);
    const usage = ['include', '.replibuild/cmake-import/generated', 'hdronly/include'];
    expect(t.shapes!.include_dirs).toEqual(usage);
    expect(t.app!.include_dirs).toEqual(usage);
    expect(t.shapes!.defines).toEqual(['HDR_ON=1', 'SHAPES_API=1', 'SHAPES_INTERNAL=3']);
    // PRIVATE stays private; PUBLIC and INTERFACE reach the users.
    expect(t.app!.defines).toEqual(['HDR_ON=1', 'SHAPES_API=1']);
    expect(t.shapes!.flags).toEqual(['-fPIC', '-Wall']);
    // replibuild compiles a shared library with -fPIC itself.
    expect(t.greet!.flags ?? []).not.toContain('-fPIC');
    expect(t.greet!.defines).toContain('greet_EXPORTS');
  });

  it('turns link lines into deps, libs and an rpath to build/lib; CMake\'s build-tree rpath is dropped', () => {
    const t = byName(importCodemodel(recorded(), opts()).draft.targets);
    expect(t.app!.deps).toEqual(['greet', 'shapes']);
    expect(t.app!.link_flags).toEqual(['-Wl,-rpath,$ORIGIN/../lib']);
    expect(t.greet!.deps).toEqual(['shapes']);
    expect(t.greet!.libs).toEqual(['m']);
    expect(t.greet!.link_flags).toEqual([]);
    // The OBJECT library's objects in a target's sources make it a dependency.
    expect(t.shapes!.deps).toEqual(['cpart']);
    expect(t.tool!.deps).toEqual(['shapes']);
  });

  it('lists what cannot be imported, and still maps the rest', () => {
    const r = importCodemodel(recorded(), opts());
    expect(r.skipped).toEqual([
      'docs: a custom target (add_custom_target) runs commands, which replibuild does not',
      'genlib: .replibuild/cmake-import/gen.cpp is generated at build time by a custom command',
      'genlib: left out, as nothing else in it compiles',
    ]);
  });

  it('keeps a generated source that exists after configure', () => {
    const r = importCodemodel(recorded(), opts({ exists: () => true }));
    expect(byName(r.draft.targets).genlib!.sources).toEqual(['.replibuild/cmake-import/gen.cpp']);
    expect(r.skipped.some((s) => s.startsWith('genlib'))).toBe(false);
  });

  it('renders TOML that reads back as the draft', () => {
    const r = importCodemodel(recorded(), opts());
    const toml = parse(renderProjectToml(r.draft)) as { project: { name: string }; targets: Record<string, Record<string, unknown>> };
    expect(toml.project.name).toBe('demo');
    expect(toml.targets.app).toEqual({
      kind: 'executable',
      sources: ['app/main.cpp'],
      include_dirs: ['include', '.replibuild/cmake-import/generated', 'hdronly/include'],
      defines: ['HDR_ON=1', 'SHAPES_API=1'],
      std: 'gnu++17',
      deps: ['greet', 'shapes'],
      link_flags: ['-Wl,-rpath,$ORIGIN/../lib'],
    });
  });
});

describe('targets the demo does not have', () => {
  const model = (targets: CmakeTarget[], source = '/w/src'): CmakeCodemodel => ({ project: 'p', source, build: `${source}/b`, targets });
  const exe = (over: Partial<CmakeTarget>): CmakeTarget => ({
    name: 'x',
    id: 'x::1',
    type: 'EXECUTABLE',
    sources: [{ path: 'x.cpp', compileGroupIndex: 0 }],
    compileGroups: [{ language: 'CXX', sourceIndexes: [0] }],
    ...over,
  });
  const run = (m: CmakeCodemodel, over: Partial<ImportOptions> = {}) =>
    importCodemodel(m, { root: '/w/src', name: 'p', exists: () => true, isDir: () => true, ...over });

  it('system libraries, library files, -L and linker flags on the link line', () => {
    const t = exe({
      link: {
        commandFragments: [
          { fragment: '-Wl,--as-needed', role: 'flags' },
          { fragment: '-L/opt/lib', role: 'libraryPath' },
          { fragment: '-lpthread', role: 'libraries' },
          { fragment: '-pthread', role: 'libraries' },
          { fragment: '/usr/lib/x86_64-linux-gnu/libz.so', role: 'libraries' },
          { fragment: '-Wl,-rpath,/opt/lib', role: 'libraries' },
        ],
      },
    });
    const d = run(model([t])).draft.targets[0]!;
    expect(d.libs).toEqual(['pthread', '/usr/lib/x86_64-linux-gnu/libz.so']);
    expect(d.link_flags).toEqual(['-Wl,--as-needed', '-L/opt/lib', '-pthread', '-Wl,-rpath,/opt/lib']);
  });

  it('a languageStandard without -std, and fragments with quoted spaces', () => {
    const t = exe({
      compileGroups: [
        { language: 'CXX', sourceIndexes: [0], languageStandard: { standard: '20' }, compileCommandFragments: [{ fragment: '-O2 "-DMSG=a b"' }] },
      ],
    });
    expect(run(model([t])).draft.targets[0]).toMatchObject({ std: 'c++20', flags: ['-O2', '-DMSG=a b'] });
  });

  it('INTERFACE libraries are folded into their users; imported targets and other languages are listed', () => {
    const r = run(
      model([
        { name: 'iface', id: 'i::1', type: 'INTERFACE_LIBRARY' },
        { name: 'ext', id: 'e::1', type: 'STATIC_LIBRARY', imported: true },
        exe({
          sources: [
            { path: 'x.cpp', compileGroupIndex: 0 },
            { path: 'start.S', compileGroupIndex: 1 },
          ],
          compileGroups: [
            { language: 'CXX', sourceIndexes: [0] },
            { language: 'ASM', sourceIndexes: [1] },
          ],
        }),
      ]),
    );
    expect(r.draft.targets.map((t) => t.name)).toEqual(['x']);
    expect(r.draft.targets[0]!.sources).toEqual(['x.cpp']);
    expect(r.notes.join('\n')).toMatch(/INTERFACE libraries \(iface\)/);
    expect(r.skipped).toEqual([
      'ext: an imported target (its files come from outside the build; link it through libs)',
      'x: start.S is ASM; replibuild compiles C and C++',
    ]);
  });

  it('a dependency left out is dropped from its users, with a note, whatever the order', () => {
    const gen: CmakeTarget = {
      name: 'gen',
      id: 'g::1',
      type: 'STATIC_LIBRARY',
      artifacts: [{ path: 'libgen.a' }],
      sources: [{ path: 'b/gen.cpp', compileGroupIndex: 0, isGenerated: true }],
      compileGroups: [{ language: 'CXX', sourceIndexes: [0] }],
    };
    const user = exe({ link: { commandFragments: [{ fragment: 'libgen.a', role: 'libraries' }] } });
    for (const targets of [[gen, user], [user, gen]]) {
      const r = run(model(targets), { exists: (p) => !p.endsWith('/gen.cpp') });
      expect(r.draft.targets.map((t) => [t.name, t.deps])).toEqual([['x', []]]);
      expect(r.skipped).toEqual(['gen: b/gen.cpp is generated at build time by a custom command', 'gen: left out, as nothing else in it compiles']);
      expect(r.notes).toEqual(['x: its dependency gen was not imported']);
    }
  });

  it('an include dir that does not exist is left out, with a note', () => {
    const t = exe({ compileGroups: [{ language: 'CXX', sourceIndexes: [0], includes: [{ path: '/w/src/inc' }, { path: '/w/src/gone' }] }] });
    const r = run(model([t]), { isDir: (p) => p !== '/w/src/gone' });
    expect(r.draft.targets[0]!.include_dirs).toEqual(['inc']);
    expect(r.notes).toEqual(['x: include dir /w/src/gone does not exist; left out']);
  });

  it('sources outside the project root: beside it relative, elsewhere absolute', () => {
    const t = exe({ sources: [{ path: 'x.cpp', compileGroupIndex: 0 }] });
    expect(run(model([t], '/w/other'), { root: '/w/proj' }).draft.targets[0]!.sources).toEqual(['../other/x.cpp']);
    expect(run(model([t], '/usr/src/g'), { root: '/w/proj' }).draft.targets[0]!.sources).toEqual(['/usr/src/g/x.cpp']);
  });

  it('names CMake allows and replibuild.toml does not are made safe and kept unique', () => {
    const r = run(model([exe({ name: 'a+b', id: '1' }), exe({ name: 'a_b', id: '2' })]));
    expect(r.draft.targets.map((t) => t.name)).toEqual(['a_b', 'a_b_2']);
  });
});

describe('configPathOf', () => {
  it('is relative inside the root and beside it, absolute when the two meet only at /', () => {
    expect(configPathOf('/w/p/src/a.c', '/w/p')).toBe('src/a.c');
    expect(configPathOf('/w/p', '/w/p')).toBe('.');
    expect(configPathOf('/w/q/a.c', '/w/p')).toBe('../q/a.c');
    expect(configPathOf('/usr/src/a.c', '/w/p')).toBe('/usr/src/a.c');
  });
});
