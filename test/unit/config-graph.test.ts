import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../config/suggest.js';
import { findCycles, linkOrder, topologicalOrder } from '../../config/target-graph.js';

const graph = (entries: [string, string[]][]): Map<string, string[]> => new Map(entries);

describe('topologicalOrder', () => {
  it('puts deps first and otherwise keeps file order', () => {
    const g = graph([
      ['app', ['net', 'util']],
      ['tool', []],
      ['net', ['util']],
      ['util', []],
    ]);
    expect(topologicalOrder(g)).toEqual(['tool', 'util', 'net', 'app']);
  });

  it('is file order when nothing depends on anything', () => {
    expect(topologicalOrder(graph([['c', []], ['a', []], ['b', []]]))).toEqual(['c', 'a', 'b']);
  });
});

describe('linkOrder', () => {
  it('lists every transitive dep, users before what they use', () => {
    const g = graph([
      ['app', ['a', 'b']],
      ['a', ['c']],
      ['b', ['c', 'd']],
      ['c', ['d']],
      ['d', []],
    ]);
    expect(linkOrder('app', g)).toEqual(['a', 'b', 'c', 'd']);
    expect(linkOrder('b', g)).toEqual(['c', 'd']);
    expect(linkOrder('d', g)).toEqual([]);
  });

  it('moves a library after every user even when it is reached early', () => {
    // app -> core first, but net also uses core: core must come after net.
    const g = graph([
      ['app', ['core', 'net']],
      ['net', ['core']],
      ['core', []],
    ]);
    expect(linkOrder('app', g)).toEqual(['net', 'core']);
  });
});

describe('findCycles', () => {
  it('finds none in a DAG', () => {
    expect(findCycles(graph([['a', ['b']], ['b', []]]))).toEqual([]);
  });

  it('reports each cycle once, from its first target in file order', () => {
    const g = graph([
      ['x', []],
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a', 'c']],
    ]);
    expect(findCycles(g)).toEqual([
      ['a', 'b', 'c', 'a'],
      ['c', 'c'],
    ]);
  });

  it('finds a cycle entered from the middle', () => {
    expect(findCycles(graph([['a', ['b']], ['b', ['a']]]))).toEqual([['a', 'b', 'a']]);
    expect(findCycles(graph([['b', ['a']], ['a', ['b']]]))).toEqual([['b', 'a', 'b']]);
  });
});

describe('closestMatch', () => {
  const keys = ['port', 'watch_interval', 'ignored_patterns', 'use_polling'];
  it.each([
    ['prot', 'port'],
    ['Port', 'port'],
    ['watch_intervall', 'watch_interval'],
    ['ignore_patterns', 'ignored_patterns'],
    ['usepolling', 'use_polling'],
    ['timeout', null],
    ['x', null],
  ])('%s → %s', (word, expected) => {
    expect(closestMatch(word, keys)).toBe(expected);
  });

  it('counts a transposition as one edit', () => {
    expect(editDistance('ab', 'ba')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});
