import { describe, expect, it } from 'vitest';
import { analyzeArgs, analyzeEnv, debugDirForKey, type CacheableArgs, type EnvAnalysis } from '../../cache/args.js';
import { cwdIndependentArgs, directKey, preprocessorKey, siblingKey, type KeyContext } from '../../cache/keys.js';
import { projectConfig, resolvedTarget } from '../helpers/config-fixture.js';
import { compileJobFor } from '../../toolchain/compile-args.js';

function ctx(args: string[], over: Partial<KeyContext> = {}, env: NodeJS.ProcessEnv = {}): KeyContext {
  const a = analyzeArgs(args) as CacheableArgs;
  if (!a.cacheable) throw new Error('uncacheable');
  const e = analyzeEnv(env) as EnvAnalysis;
  const cwd = over.cwd ?? '/p';
  return { compilerId: 'gcc-1', args: a, env: e, cwd, debugDir: debugDirForKey(a, cwd), ...over };
}

const base = ['-O2', '-Iinc', '-c', 'src/a.cpp'];

describe('directKey', () => {
  const k = directKey(ctx(base), 'h1');
  it('is stable', () => expect(directKey(ctx(base), 'h1')).toBe(k));
  it('ignores the output path', () => expect(directKey(ctx([...base, '-o', 'x/y.o']), 'h1')).toBe(k));
  it('ignores the working directory without -g', () => expect(directKey(ctx(base, { cwd: '/elsewhere' }), 'h1')).toBe(k));
  it.each([
    ['source content', directKey(ctx(base), 'h2')],
    ['a -D flag (sccache #2038)', directKey(ctx(['-DHELLO', ...base]), 'h1')],
    ['the compiler', directKey(ctx(base, { compilerId: 'gcc-2' }), 'h1')],
    ['the source path (__FILE__)', directKey(ctx(['-O2', '-Iinc', '-c', 'src/../src/a.cpp']), 'h1')],
    ['CPATH', directKey(ctx(base, {}, { CPATH: 'extra' }), 'h1')],
    ['the language', directKey(ctx(['-x', 'c', ...base]), 'h1')],
    ['include order', directKey(ctx(['-O2', '-Iinc', '-Iother', '-c', 'src/a.cpp']), 'h1')],
  ])('changes with %s', (_what, other) => {
    expect(other).not.toBe(k);
  });
  it('is the same whether the analysis was keyed before in another context or not', () => {
    // directKey keeps the hashed fields per analysis object: a changed context must not reuse them.
    const shared = ctx(['-g', ...base]);
    const contexts: Partial<KeyContext>[] = [{}, { compilerId: 'gcc-2' }, { cwd: '/q', debugDir: '/q' }, { env: analyzeEnv({ CPATH: 'x' }) as EnvAnalysis }, {}];
    for (const over of contexts) {
      const fresh = ctx(['-g', ...base], over);
      expect(directKey({ ...shared, ...over }, 'h1')).toBe(directKey(fresh, 'h1'));
      expect(directKey({ ...shared, ...over }, 'h2')).toBe(directKey(ctx(['-g', ...base], over), 'h2'));
    }
  });
  it('includes the directory with -g, unless a prefix map rewrites it', () => {
    const g = ['-g', ...base];
    expect(directKey(ctx(g, { cwd: '/a' }), 'h1')).not.toBe(directKey(ctx(g, { cwd: '/b' }), 'h1'));
    const mapA = ['-g', '-fdebug-prefix-map=/a=.', ...base];
    const mapB = ['-g', '-fdebug-prefix-map=/b=.', ...base];
    expect(directKey(ctx(mapA, { cwd: '/a' }), 'h1')).toBe(directKey(ctx(mapB, { cwd: '/b' }), 'h1'));
  });
});

describe('preprocessorKey', () => {
  it('ignores -I and -D (their effect is in the preprocessed output)', () => {
    expect(preprocessorKey(ctx(['-DA', ...base]), 'pp')).toBe(preprocessorKey(ctx(['-DB', ...base]), 'pp'));
  });
  it('changes with the preprocessed output and the other options', () => {
    const k = preprocessorKey(ctx(base), 'pp');
    expect(preprocessorKey(ctx(base), 'pp2')).not.toBe(k);
    expect(preprocessorKey(ctx(['-O3', '-Iinc', '-c', 'src/a.cpp']), 'pp')).not.toBe(k);
    expect(preprocessorKey(ctx(base), 'pp')).not.toBe(directKey(ctx(base), 'pp'));
  });
});

describe('cwdIndependentArgs', () => {
  it('replaces a prefix map of exactly the cwd', () => {
    expect(cwdIndependentArgs(['-fdebug-prefix-map=/w/p/=.', '-ffile-prefix-map=/w=x', '-O2'], '/w/p')).toEqual([
      '-fdebug-prefix-map=<cwd>=.',
      '-ffile-prefix-map=/w=x',
      '-O2',
    ]);
  });
});

describe('the compiles replibuild issues, in two checkouts at different paths', () => {
  const target = resolvedTarget({ name: 'app', kind: 'executable', sources: ['src/a.cpp'], include_dirs: ['include'], defines: ['X=1'], flags: ['-g', '-O2'] });
  const keysAt = (root: string) => {
    const config = projectConfig(root, [target], { name: 'p' });
    const job = compileJobFor(config, target, 'src/a.cpp');
    const c = ctx(job.args, { cwd: job.cwd });
    return { c, direct: directKey(c, 'h'), sibling: siblingKey(c, 'h'), pp: preprocessorKey(c, 'pp') };
  };
  it('share every key with -g: the map lifts the root out of the debug info, and is keyed as <cwd>', () => {
    const a = keysAt('/home/alice/src/proj');
    const b = keysAt('/builds/ci/workspace/42/proj');
    expect(a.c.debugDir).toBeNull();
    expect(b.c.debugDir).toBeNull();
    expect(cwdIndependentArgs(a.c.args.keyArgs, a.c.cwd)).toContain('-fdebug-prefix-map=<cwd>=.');
    expect(cwdIndependentArgs(a.c.args.keyArgs, a.c.cwd)).toContain('-fmacro-prefix-map=<cwd>=.');
    expect(b.direct).toBe(a.direct);
    expect(b.sibling).toBe(a.sibling);
    expect(b.pp).toBe(a.pp);
  });
});
