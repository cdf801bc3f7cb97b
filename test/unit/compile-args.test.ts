import { describe, it, expect } from 'vitest';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import { projectConfig, resolvedTarget, type TargetSpec } from '../helpers/config-fixture.js';
import {
  compileCommandHash,
  compileJobFor,
  compilerOf,
  hasCSources,
  linkCommandFor,
  linkCommandHash,
  objectPathFor,
  pathIndependenceArgs,
} from '../../toolchain/compile-args.js';

const t = (spec: TargetSpec): ResolvedTarget => resolvedTarget({ std: 'c++20', ...spec });

const core = t({ name: 'core', kind: 'static', sources: ['src/core/a.cpp'], include_dirs: ['include'] });
const greet = t({
  name: 'greet',
  kind: 'shared',
  sources: ['src/greet/g.cpp'],
  include_dirs: ['src/greet', 'include'],
  defines: ['GREET_EXPORT', 'LEVEL=2'],
  flags: ['-O2', '-Wall'],
  deps: ['core'],
  link_deps: ['core'],
  libs: ['pthread'],
});
const app = t({
  name: 'app',
  kind: 'executable',
  sources: ['src/app/main.cpp', 'src/app/util/x.cpp', 'src/app/other/x.cpp'],
  include_dirs: ['include'],
  deps: ['greet'],
  link_deps: ['greet', 'core'],
  libs: ['m', '/opt/lib/libz.a'],
  link_flags: ['-Wl,-rpath,$ORIGIN/../lib'],
});
const config: ProjectConfig = projectConfig('/home/u/proj', [core, greet, app], {
  name: 'proj',
  compiler: { cxx: 'g++', std: 'c++20', cc: 'gcc', c_std: 'c11' },
});

describe('compile jobs', () => {
  it('orders the arguments: std, the root prefix maps, flags, -fPIC, includes, defines, -c source', () => {
    const job = compileJobFor(config, greet, 'src/greet/g.cpp', { build_id: 'b1' });
    expect(job).toEqual({
      cwd: '/home/u/proj',
      compiler: 'g++',
      args: ['-std=c++20', '-fdebug-prefix-map=/home/u/proj=.', '-fmacro-prefix-map=/home/u/proj=.', '-O2', '-Wall', '-fPIC', '-Isrc/greet', '-Iinclude', '-DGREET_EXPORT', '-DLEVEL=2', '-c', 'src/greet/g.cpp'],
      source: 'src/greet/g.cpp',
      object: 'build/obj/greet/src/greet/g.cpp.o',
      depfile: 'build/obj/greet/src/greet/g.cpp.d',
      build_id: 'b1',
    });
  });

  it('compiles a C source with the C compiler, the C standard and c_flags; C++ flags stay off it', () => {
    const mixed = { ...greet, sources: ['src/greet/g.cpp', 'src/greet/c.c'], c_flags: ['-O1'], c_std: 'gnu99' };
    const cfg = { ...config, targets: [core, mixed, app] };
    const job = compileJobFor(cfg, mixed, 'src/greet/c.c');
    expect(job.compiler).toBe('gcc');
    expect(job.args).toEqual([
      '-std=gnu99', '-fdebug-prefix-map=/home/u/proj=.', '-fmacro-prefix-map=/home/u/proj=.', '-O1', '-fPIC',
      '-Isrc/greet', '-Iinclude', '-DGREET_EXPORT', '-DLEVEL=2', '-c', 'src/greet/c.c',
    ]);
    expect(job.object).toBe('build/obj/greet/src/greet/c.c.o');
    // The C++ source of the same target is untouched, and both link with the C++ driver.
    expect(compileJobFor(cfg, mixed, 'src/greet/g.cpp')).toMatchObject({ compiler: 'g++', args: expect.arrayContaining(['-std=c++20', '-O2', '-Wall']) });
    expect(linkCommandFor(cfg, mixed, 'out.so')).toMatchObject({ tool: 'cxx', objects: ['build/obj/greet/src/greet/g.cpp.o', 'build/obj/greet/src/greet/c.c.o'] });
    // Upper-case .C is C++, as gcc takes it.
    expect(compileJobFor(cfg, mixed, 'src/greet/u.C').compiler).toBe('g++');
  });

  it('picks each TU\'s own compiler identity; a C source without a C compiler is refused', () => {
    expect(compilerOf({ cxx: 'X', cc: 'C' }, 'a.c')).toBe('C');
    expect(compilerOf({ cxx: 'X', cc: 'C' }, 'a.cpp')).toBe('X');
    expect(() => compilerOf({ cxx: 'X' }, 'a.c')).toThrow(/no C compiler/);
    expect(hasCSources([{ sources: ['a.cpp'] }])).toBe(false);
    expect(hasCSources([{ sources: ['a.cpp'] }, { sources: ['x/b.c'] }])).toBe(true);
  });

  it('maps the root to "." ahead of the user\'s flags, so a map of their own still wins', () => {
    const withMap = { ...config, targets: [{ ...core, flags: ['-fdebug-prefix-map=/home/u/proj=/src'] }] };
    const args = compileJobFor(withMap, withMap.targets[0]!, 'src/core/a.cpp').args;
    expect(args.indexOf('-fdebug-prefix-map=/home/u/proj=.')).toBeLessThan(args.indexOf('-fdebug-prefix-map=/home/u/proj=/src'));
  });

  it('writes no map for a root that OLD=NEW cannot spell', () => {
    expect(pathIndependenceArgs('/home/u/a=b')).toEqual([]);
    expect(pathIndependenceArgs('/home/u/p')).toEqual(['-fdebug-prefix-map=/home/u/p=.', '-fmacro-prefix-map=/home/u/p=.']);
  });

  it('uses -fPIC for a static library only when a shared library links it', () => {
    expect(compileJobFor(config, core, 'src/core/a.cpp').args).toContain('-fPIC');
    const alone = { ...config, targets: [core, app] };
    expect(compileJobFor(alone, core, 'src/core/a.cpp').args).not.toContain('-fPIC');
    expect(compileJobFor(config, app, 'src/app/main.cpp').args).not.toContain('-fPIC');
  });

  it('keeps same-named sources in different dirs apart, and nothing escapes the object dir', () => {
    const objs = app.sources.map((s) => objectPathFor(app, s));
    expect(objs).toEqual(['build/obj/app/src/app/main.cpp.o', 'build/obj/app/src/app/util/x.cpp.o', 'build/obj/app/src/app/other/x.cpp.o']);
    expect(objectPathFor(app, '../shared/y.cpp')).toBe('build/obj/app/__/shared/y.cpp.o');
    expect(objectPathFor(app, '/abs/z.cpp')).toBe('build/obj/app/_abs/abs/z.cpp.o');
    expect(objectPathFor(app, './src/./a.cpp')).toBe('build/obj/app/src/a.cpp.o');
  });

  it('command hash follows args, compiler and cwd', () => {
    const job = compileJobFor(config, app, 'src/app/main.cpp');
    const h = compileCommandHash(job, 'id1');
    expect(compileCommandHash({ ...job }, 'id1')).toBe(h);
    expect(compileCommandHash(job, 'id2')).not.toBe(h);
    expect(compileCommandHash({ ...job, args: [...job.args, '-DX'] }, 'id1')).not.toBe(h);
    expect(compileCommandHash({ ...job, cwd: '/elsewhere' }, 'id1')).not.toBe(h);
  });
});

describe('link commands', () => {
  it('executable: objects, deps outputs in link order, link flags, libs, -o', () => {
    const cmd = linkCommandFor(config, app, 'build/bin/app.tmp-1');
    expect(cmd.tool).toBe('cxx');
    expect(cmd.args).toEqual([
      'build/obj/app/src/app/main.cpp.o',
      'build/obj/app/src/app/util/x.cpp.o',
      'build/obj/app/src/app/other/x.cpp.o',
      'build/lib/libgreet.so',
      'build/lib/libcore.a',
      '-Wl,-rpath,$ORIGIN/../lib',
      '-lm',
      '/opt/lib/libz.a',
      '-o',
      'build/bin/app.tmp-1',
    ]);
  });

  it('static: ar rcs with the objects only', () => {
    const cmd = linkCommandFor(config, core, 'build/lib/libcore.a.tmp');
    expect(cmd).toMatchObject({ tool: 'ar', args: ['rcs', 'build/lib/libcore.a.tmp', 'build/obj/core/src/core/a.cpp.o'], dep_outputs: [] });
  });

  it('shared: -shared with a soname, then like an executable', () => {
    const cmd = linkCommandFor(config, greet, 'build/lib/libgreet.so.tmp');
    const soname = process.platform === 'darwin' ? [] : ['-Wl,-soname,libgreet.so'];
    expect(cmd.args).toEqual(['-shared', ...soname, 'build/obj/greet/src/greet/g.cpp.o', 'build/lib/libcore.a', '-lpthread', '-o', 'build/lib/libgreet.so.tmp']);
  });

  it('link command hash ignores the temp name but follows flags and the compiler', () => {
    const h = linkCommandHash(config, app, 'id1');
    expect(linkCommandHash(config, app, 'id2')).not.toBe(h);
    const more = { ...config, targets: [core, greet, { ...app, libs: ['m', 'dl'] }] };
    expect(linkCommandHash(more, more.targets[2]!, 'id1')).not.toBe(h);
    // ar does not depend on the C++ compiler.
    expect(linkCommandHash(config, core, 'id1')).toBe(linkCommandHash(config, core, 'id2'));
  });
});

describe('libs of static dependencies', () => {
  it('are linked by the target that links the archive, after it, once', () => {
    const zlib = t({ name: 'zwrap', kind: 'static', sources: ['src/z.cpp'], libs: ['z', 'm'] });
    const tool = t({ name: 'tool', kind: 'executable', sources: ['src/tool.cpp'], deps: ['zwrap'], link_deps: ['zwrap'], libs: ['m', 'dl'] });
    const cfg: ProjectConfig = { ...config, targets: [zlib, tool] };
    const args = linkCommandFor(cfg, tool, 'build/bin/tool').args;
    const at = (a: string) => args.indexOf(a);
    expect(args.filter((a) => a === '-lm')).toHaveLength(1);
    expect(at('-lz')).toBeGreaterThan(at('build/lib/libzwrap.a'));
    expect(at('-lm')).toBeGreaterThan(at('-lz'));
    // The archive itself records no libs.
    expect(linkCommandFor(cfg, zlib, 'build/lib/libzwrap.a').args).toEqual(['rcs', 'build/lib/libzwrap.a', 'build/obj/zwrap/src/z.cpp.o']);
  });
});
