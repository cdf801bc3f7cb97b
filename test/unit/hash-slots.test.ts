import { statSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stampKeyOf } from '../../fs/stat-stamp.js';
import { HashSlots } from '../../daemons/orchestrator/hash-slots.js';

const dir = mkdtempSync(join(tmpdir(), 'hash-slots-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const H1 = 'a'.repeat(64);
const H2 = '0123456789abcdef'.repeat(4);

describe('HashSlots', () => {
  it('answers a stat equal to the one it was filled from, with the same hash and stamp text', () => {
    const f = join(dir, 'a.txt');
    writeFileSync(f, 'x');
    const st = statSync(f, { bigint: true });
    const m = new HashSlots();
    m.set(f, st, H2, 7);
    const slot = m.slotOf(f)!;
    expect(m.matches(slot, st)).toBe(true);
    expect(m.hashOf(slot)).toBe(H2);
    expect(m.stampOf(slot)).toBe(stampKeyOf(st));
    expect(m.genOf(slot)).toBe(7);
    writeFileSync(f, 'xy');
    expect(m.matches(slot, statSync(f, { bigint: true }))).toBe(false);
  });

  it('round-trips persisted stamp text, negative times included, and refuses what it cannot hold', () => {
    const m = new HashSlots();
    expect(m.setFromText('/p', '12:-5000:1796438348003279984:18446744073709551615:65024', H1, 1)).toBe(true);
    expect(m.stampOf(m.slotOf('/p')!)).toBe('12:-5000:1796438348003279984:18446744073709551615:65024');
    expect(m.setFromText('/q', '12:1:2:3:', H1, 1)).toBe(false);
    expect(m.setFromText('/q', '12:1:2:3:4', 'zz', 1)).toBe(false);
    expect(m.setFromText('/q', '99999999999999999999:1:2:3:4', H1, 1)).toBe(false);
    expect(m.slotOf('/q')).toBeUndefined();
    expect(m.size).toBe(1);
  });

  it('reuses deleted slots and keeps entries apart across growth', () => {
    const m = new HashSlots();
    const hex = (i: number) => i.toString(16).padStart(64, '0');
    for (let i = 0; i < 3000; i++) m.setFromText(`/f${i}`, `${i}:1:2:3:4`, hex(i), i);
    for (let i = 0; i < 3000; i += 2) m.delete(`/f${i}`);
    for (let i = 0; i < 1500; i++) m.setFromText(`/g${i}`, `${i}:5:6:7:8`, hex(i + 5000), 1);
    expect(m.size).toBe(3000);
    for (let i = 1; i < 3000; i += 2) expect(m.hashOf(m.slotOf(`/f${i}`)!)).toBe(hex(i));
    for (let i = 0; i < 1500; i++) expect(m.stampOf(m.slotOf(`/g${i}`)!)).toBe(`${i}:5:6:7:8`);
  });
});
