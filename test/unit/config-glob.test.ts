import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  compileGlob,
  expandBraces,
  expandGlob,
  expandGlobs,
  GlobSyntaxError,
  GlobWalker,
  isGlobPattern,
  matchGlob,
} from '../../config/glob.js';

let root: string;

const FILES = [
  'main.cpp',
  'README.md',
  '.clang-format',
  'src/a.cpp',
  'src/b.cpp',
  'src/b.h',
  'src/c.cc',
  'src/x1.cpp',
  'src/x2.cpp',
  'src/xy.cpp',
  'src/.hidden.cpp',
  'src/net/http.cpp',
  'src/net/tcp.cpp',
  'src/net/deep/udp.cpp',
  'src/util/str.cpp',
  'src/build/keep.cpp',
  'include/a.h',
  'tests/t1.cpp',
  'build/gen.cpp',
  'build/obj/a.o',
  'out/custom/gen.cpp',
  '.replibuild/state/x.cpp',
  '.git/hooks/y.cpp',
  'node_modules/pkg/z.cpp',
  'third/node_modules/q.cpp',
  '.hiddendir/w.cpp',
  'weird/[x].cpp',
];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'replibuild-glob-'));
  for (const f of FILES) {
    mkdirSync(dirname(join(root, f)), { recursive: true });
    writeFileSync(join(root, f), '');
  }
  symlinkSync('..', join(root, 'src/loop'));
  symlinkSync(join(root, 'src/net'), join(root, 'netlink'));
  symlinkSync('nowhere.cpp', join(root, 'src/dangling.cpp'));
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('expandGlob', () => {
  const g = (p: string, buildDir = 'build'): string[] => expandGlob(root, p, { buildDir });

  it('matches * within one directory, dotfiles included, files only', () => {
    expect(g('src/*.cpp')).toEqual(['src/.hidden.cpp', 'src/a.cpp', 'src/b.cpp', 'src/x1.cpp', 'src/x2.cpp', 'src/xy.cpp']);
    expect(g('src/*')).not.toContain('src/net');
  });

  it('matches ** across directories, including none', () => {
    expect(g('src/**/*.cpp')).toEqual([
      'src/.hidden.cpp',
      'src/a.cpp',
      'src/b.cpp',
      'src/build/keep.cpp',
      'src/net/deep/udp.cpp',
      'src/net/http.cpp',
      'src/net/tcp.cpp',
      'src/util/str.cpp',
      'src/x1.cpp',
      'src/x2.cpp',
      'src/xy.cpp',
    ]);
    expect(g('src/net/**')).toEqual(['src/net/deep/udp.cpp', 'src/net/http.cpp', 'src/net/tcp.cpp']);
    expect(g('**/udp.cpp')).toEqual(['src/net/deep/udp.cpp']);
  });

  it('never enters the build dir, .replibuild, .git, node_modules or dot-directories', () => {
    const all = g('**');
    expect(all).toContain('main.cpp');
    expect(all).toContain('.clang-format');
    expect(all).toContain('src/build/keep.cpp');
    for (const f of all) {
      expect(f).not.toMatch(/^(build|\.replibuild|\.git|\.hiddendir)\//);
      expect(f).not.toMatch(/node_modules/);
    }
    expect(g('build/*.cpp')).toEqual([]);
    expect(g('.git/hooks/*.cpp')).toEqual([]);
    expect(g('node_modules/pkg/z.cpp')).toEqual([]);
  });

  it('skips the configured build dir wherever it is', () => {
    expect(g('**/gen.cpp', 'out/custom')).toEqual(['build/gen.cpp']);
    expect(g('**/gen.cpp', 'build')).toEqual(['out/custom/gen.cpp']);
  });

  it('matches ?, [set], [!set], [a-z] and {a,b}', () => {
    expect(g('src/x?.cpp')).toEqual(['src/x1.cpp', 'src/x2.cpp', 'src/xy.cpp']);
    expect(g('src/x[12].cpp')).toEqual(['src/x1.cpp', 'src/x2.cpp']);
    expect(g('src/x[0-9].cpp')).toEqual(['src/x1.cpp', 'src/x2.cpp']);
    expect(g('src/x[!1].cpp')).toEqual(['src/x2.cpp', 'src/xy.cpp']);
    expect(g('src/x[^1y].cpp')).toEqual(['src/x2.cpp']);
    expect(g('src/*.{cpp,cc}')).toEqual([
      'src/.hidden.cpp', 'src/a.cpp', 'src/b.cpp', 'src/c.cc', 'src/x1.cpp', 'src/x2.cpp', 'src/xy.cpp',
    ]);
    expect(g('{src/net,tests}/*.cpp')).toEqual(['src/net/http.cpp', 'src/net/tcp.cpp', 'tests/t1.cpp']);
    expect(g('src/{a,b{.cpp,.h}}')).toEqual(['src/b.cpp', 'src/b.h']);
  });

  it('returns sorted, unique, relative paths with forward slashes', () => {
    const r = g('{src/*.cpp,src/a.cpp,./src/a.*}');
    expect(r).toEqual([...new Set(r)].sort());
    expect(r.filter((f) => f === 'src/a.cpp')).toHaveLength(1);
    for (const f of r) expect(f).not.toMatch(/^\.\/|\\|^\//);
  });

  it('takes plain paths and ./ prefixes', () => {
    expect(g('main.cpp')).toEqual(['main.cpp']);
    expect(g('./src//a.cpp')).toEqual(['src/a.cpp']);
    expect(g('missing.cpp')).toEqual([]);
  });

  it('escapes special characters with a backslash', () => {
    expect(g('weird/\\[x\\].cpp')).toEqual(['weird/[x].cpp']);
  });

  it('follows symlinks named in the pattern but not through **', () => {
    expect(g('netlink/*.cpp')).toEqual(['netlink/http.cpp', 'netlink/tcp.cpp']);
    expect(g('**/http.cpp')).toEqual(['src/net/http.cpp']);
    expect(g('src/loop/src/a.cpp')).toEqual(['src/loop/src/a.cpp']);
    expect(g('src/dangling.cpp')).toEqual([]);
  });

  it('refuses patterns that leave the project or are malformed', () => {
    expect(() => g('/etc/*.conf')).toThrow(GlobSyntaxError);
    expect(() => g('../*.cpp')).toThrow(/'\.\.' would leave the project root/);
    expect(() => g('src/{a,b')).toThrow(/'\{' is never closed/);
    expect(() => g('src/a}')).toThrow(/'\}' has no matching '\{'/);
    expect(() => g('src/[ab')).toThrow(/'\[' is never closed/);
    expect(() => g('src/[z-a].cpp')).toThrow(/bad character set/);
    expect(() => g('')).toThrow(/empty/);
    // An alternative of the braces is held to the same rules as a whole pattern.
    expect(() => g('{src,..}/*.cpp')).toThrow(/'\.\.' would leave the project root/);
    expect(() => g('{/etc,src}/a.cpp')).toThrow(/not absolute/);
  });

  it('expandGlobs unions several patterns', () => {
    expect(expandGlobs(root, ['tests/*.cpp', 'src/a.cpp', 'tests/t1.cpp'], { buildDir: 'build' })).toEqual([
      'src/a.cpp',
      'tests/t1.cpp',
    ]);
  });

  it('a walker reads each directory once across patterns', () => {
    const w = new GlobWalker(root, { buildDir: 'build' });
    expect(w.expand('src/a.cpp')).toEqual(['src/a.cpp']);
    writeFileSync(join(root, 'src/late.cpp'), '');
    try {
      expect(w.expand('src/late.cpp')).toEqual([]);
      expect(new GlobWalker(root).expand('src/late.cpp')).toEqual(['src/late.cpp']);
    } finally {
      rmSync(join(root, 'src/late.cpp'));
    }
  });
});

describe('matchGlob', () => {
  it.each([
    ['*.tmp', 'a.tmp', true],
    ['*.tmp', 'deep/dir/a.tmp', true],
    ['*.swp', 'src/.main.cpp.swp', true],
    ['*.tmp', 'a.tmp.cpp', false],
    ['build', 'build', true],
    ['build', 'src/build', true],
    ['build', 'build/x.o', false],
    ['build/**', 'build/x.o', true],
    ['build/**', 'src/build/x.o', false],
    ['/build', 'src/build', false],
    ['/build', 'build', true],
    ['gen/*.h', 'gen/a.h', true],
    ['gen/*.h', 'src/gen/a.h', false],
    ['gen/*.h', 'gen/sub/a.h', false],
    ['**/gen/*.h', 'src/gen/a.h', true],
    ['**/gen/*.h', 'gen/a.h', true],
    ['a/**/b', 'a/b', true],
    ['a/**/b', 'a/x/y/b', true],
    ['a/**/b', 'a/xb', false],
    ['logs/', 'x/logs', true],
    ['*.{o,d}', 'obj/a.d', true],
    ['*.{o,d}', 'obj/a.c', false],
    ['file?.txt', 'file1.txt', true],
    ['file?.txt', 'file10.txt', false],
    ['[abc].h', 'b.h', true],
    ['[!abc].h', 'b.h', false],
    ['*~', 'notes.txt~', true],
  ] as const)('%s vs %s → %s', (pattern, path, expected) => {
    expect(matchGlob(pattern, path)).toBe(expected);
  });

  it('accepts ./ prefixes and backslashes in the path', () => {
    expect(matchGlob('src/*.cpp', './src/a.cpp')).toBe(true);
    expect(matchGlob('src/*.cpp', 'src\\a.cpp')).toBe(true);
  });

  it('throws GlobSyntaxError for a malformed pattern', () => {
    expect(() => matchGlob('[abc', 'a')).toThrow(GlobSyntaxError);
  });
});

describe('glob helpers', () => {
  it('expands braces, nested and repeated', () => {
    expect(expandBraces('a{b,c{d,e}}f{1,2}')).toEqual(['abf1', 'abf2', 'acdf1', 'acdf2', 'acef1', 'acef2']);
    // Escaped braces are no alternatives: one pattern, the braces literal.
    expect(expandBraces('x\\{a,b\\}')).toEqual(['x{a,b}']);
    expect(matchGlob('x\\{a,b\\}', 'x{a,b}')).toBe(true);
    expect(matchGlob('x\\{a,b\\}', 'xa')).toBe(false);
    expect(expandBraces('[{]x')).toEqual(['[{]x']);
  });

  it('refuses brace explosions', () => {
    expect(() => expandBraces('{a,b}'.repeat(11))).toThrow(/more than 1024/);
  });

  it('compiles whole-path regexes', () => {
    expect(compileGlob('src/**/*.cpp').test('src/a/b/c.cpp')).toBe(true);
    expect(compileGlob('src/*.cpp').test('src/a/b.cpp')).toBe(false);
    expect(compileGlob('a.b').test('axb')).toBe(false);
  });

  it('tells globs from plain paths', () => {
    expect(isGlobPattern('src/*.cpp')).toBe(true);
    expect(isGlobPattern('src/{a,b}.cpp')).toBe(true);
    expect(isGlobPattern('src/main.cpp')).toBe(false);
  });
});
