import { describe, expect, it } from 'vitest';
import { SharedRecords } from '../../cache/shared-records.js';
import { trimmableLru } from '../../fs/bounded-lru.js';

const header = (path: string, hash: string) => ({ path, hash, size: 10, mtime_ns: '1', ctime_ns: '1', ino: '7', project: true });

describe('SharedRecords', () => {
  it('gives one instance for equal records and keeps records that differ in any field apart', () => {
    const s = new SharedRecords();
    const a = s.record(header('include/a.h', 'aa'));
    expect(s.record(header('include/a.h', 'aa'))).toBe(a);
    expect(s.record(a)).toBe(a);
    for (const other of [header('include/b.h', 'aa'), header('include/a.h', 'ab'), { ...header('include/a.h', 'aa'), ino: '8' }, { ...header('include/a.h', 'aa'), tok: 't' }]) {
      const o = s.record(other);
      expect(o).not.toBe(a);
      expect(o).toEqual(other);
    }
  });

  it('shares a list only when the same records come in the same order', () => {
    const s = new SharedRecords();
    const one = s.list([header('x', '1'), header('y', '2')]);
    expect(s.list([header('x', '1'), header('y', '2')])).toBe(one);
    const swapped = s.list([header('y', '2'), header('x', '1')]);
    expect(swapped).not.toBe(one);
    expect(swapped.map((h) => h.path)).toEqual(['y', 'x']);
    expect(s.list([header('x', '1')])).toHaveLength(1);
    // Empty lists are one frozen instance: nobody can add to what others share.
    expect(s.list([])).toBe(s.each([]));
    expect(Object.isFrozen(s.texts([]))).toBe(true);
    expect(JSON.stringify({ one, none: s.list([]) })).toBe(JSON.stringify({ one: [header('x', '1'), header('y', '2')], none: [] }));
  });

  it('shares strings and starts over past its bound without changing any value', () => {
    const s = new SharedRecords(3);
    const texts = s.texts(['a/b.h', 'c/d.h']);
    expect(texts).toEqual(['a/b.h', 'c/d.h']);
    const recs = [1, 2, 3, 4, 5].map((i) => s.record(header(`h${i}`, String(i))));
    expect(s.size).toBeLessThanOrEqual(3);
    expect(recs.map((r) => r.path)).toEqual(['h1', 'h2', 'h3', 'h4', 'h5']);
    // Still shared after a restart of the table: the latest instance is the one kept.
    expect(s.record(header('h5', '5'))).toBe(recs[4]);
  });
});

describe('trimmableLru', () => {
  it('drops its entries when idle only if it evicted since the last trim', () => {
    const lru = trimmableLru<string, number>(3);
    lru.set('a', 1).set('b', 2).set('c', 3);
    expect(lru.dropIfOverflowed()).toBe(false);
    expect(lru.size).toBe(3);
    lru.set('d', 4); // evicts 'a': a working set larger than the memo
    expect(lru.has('a')).toBe(false);
    expect(lru.dropIfOverflowed()).toBe(true);
    expect(lru.size).toBe(0);
    lru.set('e', 5);
    lru.delete('e'); // a delete is not an eviction
    lru.set('f', 6);
    lru.set('f', 7); // nor is a replacement
    expect(lru.dropIfOverflowed()).toBe(false);
    expect(lru.get('f')).toBe(7);
  });

  it('bounds by the size it is given', () => {
    const lru = trimmableLru<string, string>(10, (v) => v.length);
    lru.set('a', 'xxxx').set('b', 'yyyy');
    lru.set('c', 'zzzz');
    expect(lru.has('a')).toBe(false);
    expect([...lru.keys()].sort()).toEqual(['b', 'c']);
    expect(lru.dropIfOverflowed()).toBe(true);
  });
});
