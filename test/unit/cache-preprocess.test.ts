import { describe, expect, it } from 'vitest';
import { parsePreprocessed, parseSearchList, preprocessEnv, unescapeMarkerName } from '../../cache/preprocess.js';

const OUT = [
  '# 0 "src/a.cpp"',
  '# 1 "/home/u/p//"',
  '# 0 "<built-in>"',
  '# 0 "<command-line>"',
  '# 1 "/usr/include/stdc-predef.h" 1 3 4',
  '# 0 "<command-line>" 2',
  '# 1 "src/a.cpp"',
  '# 1 "include/foo.h" 1',
  '# 1 "include/bar.h" 1',
  'int bar;',
  '# 2 "include/foo.h" 2',
  '#pragma once',
  '# 2 "src/a.cpp" 2',
  '# 1 "src/local.h" 1',
  '# 10 "renamed.y"',
  '# 1 "src/inner.h" 1',
  '# 2 "renamed.y" 2',
  '# 3 "src/a.cpp" 2',
  'int main(){}',
  '',
].join('\n');

describe('parsePreprocessed', () => {
  it('lists entered files with their includer', () => {
    const r = parsePreprocessed(Buffer.from(OUT), false)!;
    expect(r.mainFile).toBe('src/a.cpp');
    expect(r.files).toEqual([
      { path: '/usr/include/stdc-predef.h', includer: null },
      { path: 'include/foo.h', includer: 'src/a.cpp' },
      { path: 'include/bar.h', includer: 'include/foo.h' },
      { path: 'src/local.h', includer: 'src/a.cpp' },
      // #line renames the presumed file, not the file read
      { path: 'src/inner.h', includer: 'src/local.h' },
    ]);
  });

  it("reads clang's markers: <built-in> and <command line> are entered, but are no files", () => {
    // clang++ -Iinc -include forced.h -E src/a.cpp
    const clang = [
      '# 1 "src/a.cpp"',
      '# 1 "<built-in>" 1',
      '# 1 "<built-in>" 3',
      '# 404 "<built-in>" 3',
      '# 1 "<command line>" 1',
      '# 1 "<built-in>" 2',
      '# 1 "forced.h" 1',
      '# 2 "<built-in>" 2',
      '# 1 "src/a.cpp" 2',
      '# 1 "inc/y.h" 1',
      'int y;',
      '# 2 "src/a.cpp" 2',
      'int x;',
      '',
    ].join('\n');
    const r = parsePreprocessed(Buffer.from(clang), false)!;
    expect(r.mainFile).toBe('src/a.cpp');
    expect(r.files).toEqual([
      { path: 'forced.h', includer: null },
      { path: 'inc/y.h', includer: 'src/a.cpp' },
    ]);
  });

  it('drops the working-directory line from the hash only when asked', () => {
    const other = OUT.replace('/home/u/p//', '/elsewhere//');
    expect(parsePreprocessed(Buffer.from(other), true)!.hash).toBe(parsePreprocessed(Buffer.from(OUT), true)!.hash);
    expect(parsePreprocessed(Buffer.from(other), false)!.hash).not.toBe(parsePreprocessed(Buffer.from(OUT), false)!.hash);
  });

  it('hashes every byte otherwise', () => {
    expect(parsePreprocessed(Buffer.from(OUT.replace('int bar;', 'int baz;')), true)!.hash).not.toBe(
      parsePreprocessed(Buffer.from(OUT), true)!.hash,
    );
  });

  it('rejects output without line markers', () => {
    expect(parsePreprocessed(Buffer.from('int x;\n'), true)).toBeNull();
  });

  it('undoes escapes in file names', () => {
    expect(unescapeMarkerName('a\\\\b\\"c')).toBe('a\\b"c');
    expect(unescapeMarkerName('\\303\\251')).toBe('é');
  });
});

describe('parseSearchList', () => {
  it('reads listed and nonexistent directories', () => {
    const err = [
      'ignoring nonexistent directory "sys"',
      'ignoring duplicate directory "/usr/include/x86_64-linux-gnu/c++/12"',
      'ignoring nonexistent directory "/usr/local/include/x86_64-linux-gnu"',
      '#include "..." search starts here:',
      ' q',
      '#include <...> search starts here:',
      ' include/',
      ' /usr/include',
      'End of search list.',
      'COMPILER_PATH=/usr/lib',
    ].join('\n');
    expect(parseSearchList(err)).toEqual({
      dirs: ['q', 'include', '/usr/include'],
      missing: ['sys', '/usr/local/include/x86_64-linux-gnu'],
    });
  });
});

describe('preprocessEnv', () => {
  it('forces C messages but keeps the character type', () => {
    const e = preprocessEnv({ LC_ALL: 'de_DE.UTF-8', LANGUAGE: 'de', PATH: '/bin' });
    expect(e.LC_ALL).toBeUndefined();
    expect(e.LANGUAGE).toBeUndefined();
    expect(e.LC_CTYPE).toBe('de_DE.UTF-8');
    expect(e.LC_MESSAGES).toBe('C');
    expect(e.PATH).toBe('/bin');
  });
});
