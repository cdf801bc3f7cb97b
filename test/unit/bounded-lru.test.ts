import { describe, expect, it } from 'vitest';
import { trimmableLru } from '../../fs/bounded-lru.js';

describe('trimmableLru window', () => {
  it('fills to its bound while a build fits', () => {
    const m = trimmableLru<string, number>(8, undefined, 2);
    for (let i = 0; i < 8; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(8);
    expect(m.dropIfOverflowed()).toBe(false);
    expect(m.size).toBe(8); // kept for the next build
  });

  it('keeps only the window once overflowed, until dropIfOverflowed', () => {
    const m = trimmableLru<string, number>(8, undefined, 2);
    for (let i = 0; i < 20; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(2);
    // The most recent entries stay: a TU's own entry is asked again within its compile.
    expect(m.get('k19')).toBe(19);
    expect(m.get('k18')).toBe(18);
    expect(m.dropIfOverflowed()).toBe(true);
    expect(m.size).toBe(0);
    // The next build that fits fills it whole again.
    for (let i = 0; i < 8; i++) m.set(`n${i}`, i);
    expect(m.size).toBe(8);
  });

  it('measures the window in the memo size units', () => {
    const m = trimmableLru<string, string>(100, (v) => v.length, 30);
    for (let i = 0; i < 12; i++) m.set(`k${i}`, 'x'.repeat(10));
    expect(m.calculatedSize).toBeLessThanOrEqual(30);
    expect(m.get('k11')).toBeDefined();
  });

  it('without a window, an overflowed memo stays full', () => {
    const m = trimmableLru<string, number>(8);
    for (let i = 0; i < 20; i++) m.set(`k${i}`, i);
    expect(m.size).toBe(8);
  });
});
