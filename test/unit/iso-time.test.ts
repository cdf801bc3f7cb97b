import { describe, expect, it } from 'vitest';
import { isoTime } from '../../daemons/common/iso-time.js';

describe('isoTime', () => {
  it('writes what Date#toISOString writes', () => {
    const fixed = [0, -1, 1, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, -62_135_596_800_000, 253_402_300_799_999, -62_167_219_200_000, Date.now()];
    for (const ms of fixed) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
    // Spread over years 0000..9999, leap days and day ends included.
    let seed = 7;
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      const ms = -62_167_219_200_000 + Math.floor((seed / 2 ** 31) * 315_537_897_599_999);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('defaults to now', () => {
    const before = Date.now();
    const t = Date.parse(isoTime());
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
  });
});
