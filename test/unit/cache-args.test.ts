import { describe, expect, it } from 'vitest';
import { analyzeArgs, analyzeEnv, debugDirForKey, type CacheableArgs } from '../../cache/args.js';

function ok(args: string[], source?: string): CacheableArgs {
  const a = analyzeArgs(args, source);
  if (!a.cacheable) throw new Error(`expected cacheable, got ${a.reason}: ${a.detail}`);
  return a;
}

function reason(args: string[]): string {
  const a = analyzeArgs(args);
  if (a.cacheable) throw new Error(`expected uncacheable: ${args.join(' ')}`);
  return a.reason;
}

describe('analyzeArgs: what is not cached, and why', () => {
  it.each([
    [['-o', 'app', 'a.cpp'], 'called for link'],
    [['-c', 'a.cpp', 'b.cpp'], 'multiple source files'],
    [['-c', 'a.cpp', 'x.o'], 'multiple source files'],
    [['-c', '-o', '-', 'a.cpp'], 'output to stdout'],
    [['-c', '-o-', 'a.cpp'], 'output to stdout'],
    [['-E', 'a.cpp'], 'preprocessor only'],
    [['-c', '-M', 'a.cpp'], 'preprocessor only'],
    [['-S', 'a.cpp'], 'assembly output'],
    [['-c', '-fsyntax-only', 'a.cpp'], '-fsyntax-only'],
    [['-c', '@args.rsp', 'a.cpp'], 'response file'],
    [['-c', '-specs=my.specs', 'a.cpp'], 'option reads an untracked file'],
    [['-c', '-fprofile-use=app.prof', 'a.cpp'], 'profile or coverage'],
    [['-c', '--coverage', 'a.cpp'], 'profile or coverage'],
    [['-c', '-save-temps', 'a.cpp'], 'option writes extra files'],
    [['-c', '-gsplit-dwarf', 'a.cpp'], 'option writes extra files'],
    [['-c', '-fdump-tree-all', 'a.cpp'], 'option writes extra files'],
    [['-c', '-fplugin=./p.so', 'a.cpp'], 'option reads an untracked file'],
    [['-c', '-fsanitize-ignorelist=ign.txt', 'a.cpp'], 'option reads an untracked file'],
    [['-c', '-fsomething=dir/file', 'a.cpp'], 'option reads an untracked file'],
    [['-c', '-Wp,-MD,x.d', 'a.cpp'], 'option reads an untracked file'],
    [['-c', '-Xpreprocessor', '-DX', 'a.cpp'], 'option reads an untracked file'],
    [['-c', '-B', '/opt/tools', 'a.cpp'], 'option reads an untracked file'],
    [['-c', '-x', 'objective-c-header', 'a.h'], 'precompiled header'],
    [['-c', 'a.hpp'], 'precompiled header'],
    [['-c', '-include-pch', 'pch.h.gch', 'a.cpp'], 'precompiled header'],
    [['-c', '-fpch-preprocess', 'a.cpp'], 'precompiled header'],
    [['-c', 'a.s'], 'unsupported language'],
    [['-c', '-x', 'assembler', 'a.cpp'], 'unsupported language'],
    [['-c', '-fmodules-ts', 'a.cpp'], 'C++ modules'],
    [['-c', '-MF', 'x.d', 'a.cpp'], 'depfile options'],
    [['-c', '-MG', 'a.cpp'], 'depfile options'],
    [['-c', '--frobnicate', 'a.cpp'], 'unknown option'],
    [['-c', '-Wa,-adhln=listing.txt', 'a.cpp'], 'option writes extra files'],
    [['-c', '-'], 'source from stdin'],
    [['-c'], 'no source file'],
    [['--version'], 'not a compile'],
  ])('%j → %s', (args, why) => {
    expect(reason(args)).toBe(why);
  });

  it('requires the job source to be the input', () => {
    expect(analyzeArgs(['-c', 'a.cpp'], 'b.cpp').cacheable).toBe(false);
    expect(ok(['-c', 'a.cpp'], 'a.cpp').source).toBe('a.cpp');
  });
});

describe('analyzeArgs: keys', () => {
  it('joins separate values so spellings hit each other', () => {
    expect(ok(['-I', 'inc', '-D', 'X=1', '-c', 'a.cpp']).keyArgs).toEqual(ok(['-Iinc', '-DX=1', '-c', 'a.cpp']).keyArgs);
  });

  it('leaves the output path, the source and -MD out of the key', () => {
    const a = ok(['-O2', '-c', 'src/a.cpp', '-o', 'build/a.o', '-MD']);
    expect(a.keyArgs).toEqual(['-O2', '-c']);
    expect(a.source).toBe('src/a.cpp');
    expect(ok(['-O2', '-c', 'src/a.cpp', '-o', 'elsewhere/b.o']).keyArgs).toEqual(a.keyArgs);
  });

  it('keeps -D, -I and their order in the direct key', () => {
    expect(ok(['-DA', '-c', 'a.cpp']).keyArgs).not.toEqual(ok(['-DB', '-c', 'a.cpp']).keyArgs);
    expect(ok(['-Ia', '-Ib', '-c', 'a.cpp']).keyArgs).not.toEqual(ok(['-Ib', '-Ia', '-c', 'a.cpp']).keyArgs);
  });

  it('drops preprocessor-only options from the preprocessor-mode key', () => {
    const a = ok(['-std=c++17', '-O2', '-Iinc', '-isystem', 'sys', '-DX', '-include', 'cfg.h', '-c', 'a.cpp']);
    expect(a.nonPreprocessorArgs).toEqual(['-std=c++17', '-O2', '-c']);
    expect(a.includeDirs).toEqual(['inc', 'sys']);
    expect(a.forcedIncludes).toBe(true);
  });

  it('keeps them when the object records them (-g3, -frecord-gcc-switches)', () => {
    expect(ok(['-g3', '-DX', '-c', 'a.cpp']).nonPreprocessorArgs).toContain('-DX');
    expect(ok(['-frecord-gcc-switches', '-DX', '-c', 'a.cpp']).nonPreprocessorArgs).toContain('-DX');
  });

  it('runs -E without -c, output, depfile options and -P', () => {
    expect(ok(['-O2', '-MMD', '-P', '-c', 'a.cpp', '-o', 'a.o']).preprocessArgs).toEqual(['-O2', 'a.cpp']);
  });

  it('tells C from C++ by -x and by extension', () => {
    expect(ok(['-c', 'a.c']).language).toBe('c');
    expect(ok(['-c', 'a.cpp']).language).toBe('c++');
    expect(ok(['-x', 'c++', '-c', 'a.c']).language).toBe('c++');
    expect(ok(['-xc', '-c', 'a.cpp']).language).toBe('c');
    expect(ok(['-c', 'a.c', '-x', 'c++']).language).toBe('c'); // -x only affects later inputs
  });

  it('flags -march=native as host dependent', () => {
    expect(ok(['-march=native', '-c', 'a.cpp']).hostDependent).toBe(true);
    expect(ok(['-march=x86-64', '-c', 'a.cpp']).hostDependent).toBe(false);
  });

  it('tracks the debug level, last one winning', () => {
    expect(ok(['-c', 'a.cpp']).debugLevel).toBe(0);
    expect(ok(['-g', '-c', 'a.cpp']).debugLevel).toBe(2);
    expect(ok(['-g3', '-c', 'a.cpp']).debugLevel).toBe(3);
    expect(ok(['-ggdb1', '-c', 'a.cpp']).debugLevel).toBe(1);
    expect(ok(['-g', '-g0', '-c', 'a.cpp']).debugLevel).toBe(0);
    expect(ok(['-gdwarf-4', '-c', 'a.cpp']).debugLevel).toBe(2);
    expect(ok(['-gz', '-c', 'a.cpp']).debugLevel).toBe(0);
  });
});

describe('analyzeArgs: objects that checksum their files (clang -g, DWARF 5)', () => {
  const of = (args: string[], compiler?: 'gcc' | 'clang') => {
    const a = analyzeArgs(['-c', 'a.cpp', ...args], 'a.cpp', compiler);
    if (!a.cacheable) throw new Error(a.reason);
    return { checksums: a.checksumsInObject, blind: a.commentBlind };
  };
  it('clang with debug info, unless an older DWARF is asked for last', () => {
    expect(of(['-g'], 'clang')).toEqual({ checksums: true, blind: false });
    expect(of(['-gline-tables-only'], 'clang')).toEqual({ checksums: true, blind: false });
    expect(of(['-g', '-gdwarf-4'], 'clang')).toEqual({ checksums: false, blind: true });
    expect(of(['-gdwarf-4', '-gdwarf-5', '-g'], 'clang')).toEqual({ checksums: true, blind: false });
    expect(of(['-g', '-g0'], 'clang')).toEqual({ checksums: false, blind: true });
    expect(of([], 'clang')).toEqual({ checksums: false, blind: true });
  });
  it('never gcc, nor a compiler of unknown kind', () => {
    expect(of(['-g'], 'gcc')).toEqual({ checksums: false, blind: true });
    expect(of(['-g'])).toEqual({ checksums: false, blind: true });
  });
});

describe('analyzeArgs: objects that record columns (no preprocessor-mode key)', () => {
  const cols = (args: string[]) => {
    const a = analyzeArgs(['-c', 'a.cpp', ...args], 'a.cpp', 'gcc');
    if (!a.cacheable) throw new Error(a.reason);
    return a.columnsInObject;
  };
  it('-g (column info is the default), sanitizers and OpenMP; not -gno-column-info nor -g0', () => {
    expect(cols([])).toBe(false);
    expect(cols(['-O2'])).toBe(false);
    expect(cols(['-g'])).toBe(true);
    expect(cols(['-g', '-gno-column-info'])).toBe(false);
    expect(cols(['-gno-column-info', '-gcolumn-info', '-g'])).toBe(true);
    expect(cols(['-g', '-g0'])).toBe(false);
    expect(cols(['-fsanitize=undefined'])).toBe(true);
    expect(cols(['-fopenmp'])).toBe(true);
  });
  it('a trailing-whitespace warning makes comments and blanks count (gcc 15)', () => {
    const a = analyzeArgs(['-c', 'a.cpp', '-Wtrailing-whitespace'], 'a.cpp', 'gcc');
    expect(a.cacheable && a.commentBlind).toBe(false);
  });
});

describe('debugDirForKey', () => {
  const cwd = '/home/u/proj';
  it('is null without debug info', () => {
    expect(debugDirForKey(ok(['-c', 'a.cpp']), cwd)).toBeNull();
  });
  it('is the cwd with -g', () => {
    expect(debugDirForKey(ok(['-g', '-c', 'a.cpp']), cwd)).toBe(cwd);
  });
  it('is lifted by a prefix map of the whole cwd', () => {
    expect(debugDirForKey(ok(['-g', `-fdebug-prefix-map=${cwd}=.`, '-c', 'a.cpp']), cwd)).toBeNull();
    expect(debugDirForKey(ok(['-g', `-ffile-prefix-map=${cwd}/=.`, '-c', 'a.cpp']), cwd)).toBeNull();
  });
  it('keeps what a partial map leaves in the object', () => {
    expect(debugDirForKey(ok(['-g', '-fdebug-prefix-map=/home=/H', '-c', 'a.cpp']), cwd)).toBe('/H/u/proj');
  });
  it('ignores a map of another directory', () => {
    expect(debugDirForKey(ok(['-g', '-fdebug-prefix-map=/other=.', '-c', 'a.cpp']), cwd)).toBe(cwd);
  });
});

describe('analyzeEnv', () => {
  it('hashes include-path variables and reads their directories', () => {
    const e = analyzeEnv({ CPATH: 'x:/y/:', PATH: '/bin', LANG: 'C' });
    if ('cacheable' in e) throw new Error('unexpected');
    expect(e.hashed).toEqual([['CPATH', 'x:/y/:'], ['LANG', 'C']]);
    expect(e.includeDirs).toEqual(['x', '/y', '.']);
  });
  it('refuses variables that make gcc write files we cannot restore', () => {
    const e = analyzeEnv({ DEPENDENCIES_OUTPUT: 'deps.d' });
    expect('cacheable' in e && e.reason).toBe('environment');
  });
});
