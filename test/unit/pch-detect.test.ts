// The pure rules of automatic precompiled headers (daemons/orchestrator/pch-detect.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { choosePrefix, isIncludeGuarded, leadingIncludes, startsWithPrefix } from '../../daemons/orchestrator/pch-detect.js';

describe('leadingIncludes', () => {
  it('takes the #include lines before anything else, comments and blank lines allowed', () => {
    const text = [
      '// license',
      '/* a block',
      '   comment */',
      '#include <vector>',
      '',
      '#  include "util/str.h" // why',
      '#include <map> /* trailing */',
      '#include <string>',
      'int x;',
      '#include <set>',
    ].join('\n');
    expect(leadingIncludes(text)).toEqual([
      { name: 'vector', angled: true },
      { name: 'util/str.h', angled: false },
      { name: 'map', angled: true },
      { name: 'string', angled: true },
    ]);
  });

  it('stops at the first other directive: a #define before the includes leaves none', () => {
    expect(leadingIncludes('#define NDEBUG\n#include <vector>\n')).toEqual([]);
    expect(leadingIncludes('#include <vector>\n#ifdef X\n#include <map>\n#endif\n')).toEqual([{ name: 'vector', angled: true }]);
    expect(leadingIncludes('#include <vector>\n#pragma once\n#include <map>\n')).toEqual([{ name: 'vector', angled: true }]);
    expect(leadingIncludes('#include MACRO_HEADER\n#include <map>\n')).toEqual([]);
  });

  it('a continuation or a comment cannot hide a directive', () => {
    expect(leadingIncludes('#include <vector>\n#def\\\nine X\n#include <map>\n')).toEqual([{ name: 'vector', angled: true }]);
    expect(leadingIncludes('/*\n#define X\n*/\n#include <map>\n')).toEqual([{ name: 'map', angled: true }]);
  });
});

describe('isIncludeGuarded', () => {
  it('accepts #pragma once and an #ifndef/#define guard spanning the file', () => {
    expect(isIncludeGuarded('// c\n#pragma once\nint f();\n')).toBe(true);
    expect(isIncludeGuarded('#ifndef A_H\n#define A_H\n#if X\nint g();\n#endif\nint f();\n#endif // A_H\n')).toBe(true);
    expect(isIncludeGuarded('#if !defined(A_H)\n#define A_H 1\nint f();\n#endif\n')).toBe(true);
  });

  it('refuses a header without a guard, or whose guard does not span it', () => {
    expect(isIncludeGuarded('int f();\n')).toBe(false);
    expect(isIncludeGuarded('#ifndef A_H\n#define B_H\nint f();\n#endif\n')).toBe(false);
    expect(isIncludeGuarded('#ifndef A_H\n#define A_H\nint f();\n#endif\nint g();\n')).toBe(false);
    expect(isIncludeGuarded('#ifndef A_H\n#define A_H\n#endif\n#ifndef B\n#define B\n#endif\n')).toBe(false);
    expect(isIncludeGuarded('int x;\n#pragma once\n')).toBe(false);
  });

  it('reads the system headers as they are: <vector> guarded, <assert.h> not', () => {
    expect(isIncludeGuarded(readFileSync('/usr/include/c++/12/vector', 'utf8'))).toBe(true);
    expect(isIncludeGuarded(readFileSync('/usr/include/stdio.h', 'utf8'))).toBe(true);
    expect(isIncludeGuarded(readFileSync('/usr/include/assert.h', 'utf8'))).toBe(false);
  });
});

describe('choosePrefix', () => {
  const tu = (source: string, keys: string[]) => ({ source, keys });

  it('picks the prefix with the most TUs × length, and none for fewer than two TUs', () => {
    expect(choosePrefix([tu('a', ['v', 'm', 's'])])).toBeNull();
    expect(choosePrefix([tu('a', ['v', 'm', 's']), tu('b', ['v', 'm', 's']), tu('c', ['v'])])).toEqual(['v', 'm', 's']);
    // 3 TUs × 1 beats 2 × 1; 4 TUs share [v, m]: 4 × 2 = 8 beats 2 × 3 = 6.
    const many = [tu('a', ['v', 'm', 's']), tu('b', ['v', 'm', 's']), tu('c', ['v', 'm']), tu('d', ['v', 'm', 'x'])];
    expect(choosePrefix(many)).toEqual(['v', 'm']);
    expect(choosePrefix([tu('a', ['m', 'v']), tu('b', ['v', 'm'])])).toBeNull();
  });

  it('a TU uses the prefix only when its includes start with it exactly', () => {
    expect(startsWithPrefix(['v', 'm', 's'], ['v', 'm'])).toBe(true);
    expect(startsWithPrefix(['m', 'v'], ['v', 'm'])).toBe(false);
    expect(startsWithPrefix(['v'], ['v', 'm'])).toBe(false);
  });
});
