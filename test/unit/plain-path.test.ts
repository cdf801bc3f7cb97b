import { describe, expect, it } from 'vitest';
import { isPlainRelative } from '../../fs/plain-path.js';

describe('isPlainRelative', () => {
  it('is true only of relative paths resolve() would give back as they are', () => {
    for (const p of ['a', 'src/a.cpp', '...', 'a/.b', '.hidden/x', 'a..b/c']) expect(isPlainRelative(p), p).toBe(true);
    for (const p of ['', '.', '..', './a', 'a/./b', 'a/../b', '../a', 'a//b', 'a/', '/abs/x']) expect(isPlainRelative(p), p).toBe(false);
  });
});
