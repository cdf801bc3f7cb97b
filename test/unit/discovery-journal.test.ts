import { describe, expect, it } from 'vitest';
import { Journal } from '../../daemons/discovery/journal.js';

describe('discovery journal', () => {
  it('answers the net change per path since an epoch, completely', () => {
    const j = new Journal();
    const e0 = j.epoch;
    j.record('a.h', 'changed');
    j.record('b.h', 'added');
    const e2 = j.epoch;
    j.record('a.h', 'changed');
    j.record('b.h', 'removed');
    j.record('c.h', 'removed');
    j.record('c.h', 'added');
    j.record('d.h', 'added');
    j.record('d.h', 'changed');

    const all = j.changesSince(e0, j.id);
    expect(all.complete).toBe(true);
    expect(all.epoch).toBe(j.epoch);
    expect(all.journal_id).toBe(j.id);
    expect(all.changes).toEqual([
      { path: 'a.h', kind: 'changed' },
      { path: 'b.h', kind: 'removed' }, // added then removed: still reported, never dropped
      { path: 'c.h', kind: 'changed' },
      { path: 'd.h', kind: 'added' },
    ]);

    const later = j.changesSince(e2, j.id);
    expect(later.changes.map((c) => c.path)).toEqual(['a.h', 'b.h', 'c.h', 'd.h']);
    expect(j.changesSince(j.epoch, j.id)).toMatchObject({ complete: true, changes: [] });
  });

  it('is incomplete for another journal_id, none, a future epoch or a bad one', () => {
    const j = new Journal();
    j.record('a.h', 'changed');
    expect(j.changesSince(0, 'other-id')).toMatchObject({ complete: false, reason: expect.stringMatching(/journal_id/) });
    expect(j.changesSince(0, undefined).complete).toBe(false);
    expect(j.changesSince(j.epoch + 1, j.id)).toMatchObject({ complete: false, reason: 'epoch from the future' });
    expect(j.changesSince(-1, j.id).complete).toBe(false);
    expect(j.changesSince(0.5, j.id).complete).toBe(false);
    expect(j.changesSince(0, j.id).complete).toBe(true);
  });

  it('a new journal cannot answer for epochs before it started', () => {
    const j = new Journal({ epoch: 40 });
    expect(j.changesSince(39, j.id).complete).toBe(false);
    expect(j.changesSince(40, j.id).complete).toBe(true);
  });

  it('bounds its size: epochs older than the retained window are incomplete', () => {
    const j = new Journal({ limit: 100 });
    for (let i = 0; i < 1000; i++) j.record(`f${i}.h`, 'changed');
    expect(j.length).toBeLessThanOrEqual(100);
    expect(j.changesSince(0, j.id)).toMatchObject({ complete: false, reason: expect.stringMatching(/window/) });
    const floor = j.floor;
    const ok = j.changesSince(floor, j.id);
    expect(ok.complete).toBe(true);
    expect(ok.changes).toHaveLength(1000 - floor);
    expect(ok.changes[0]).toEqual({ path: `f${floor}.h`, kind: 'changed' });
  });

  it('after invalidate (watcher error) nothing before is complete; later epochs are', () => {
    const j = new Journal();
    j.record('a.h', 'changed');
    const before = j.epoch;
    j.invalidate('watcher error');
    expect(j.epoch).toBeGreaterThan(before);
    expect(j.changesSince(before, j.id)).toMatchObject({ complete: false, reason: 'watcher error' });
    const now = j.epoch;
    j.record('b.h', 'added');
    expect(j.changesSince(now, j.id)).toMatchObject({ complete: true, changes: [{ path: 'b.h', kind: 'added' }] });
  });

  it('continues from a snapshot with the same id and epochs', () => {
    const j = new Journal();
    j.record('a.h', 'changed');
    const mid = j.epoch;
    j.record('b.h', 'added');
    const snap = JSON.parse(JSON.stringify(j.snapshot()));
    const k = new Journal({ id: j.id, epoch: j.epoch, snapshot: snap });
    expect(k.epoch).toBe(j.epoch);
    expect(k.changesSince(mid, j.id)).toMatchObject({ complete: true, changes: [{ path: 'b.h', kind: 'added' }] });
    expect(k.changesSince(0, j.id).changes).toHaveLength(2);
    k.record('c.h', 'removed');
    expect(k.changesSince(mid, j.id).changes.map((c) => c.path)).toEqual(['b.h', 'c.h']);
  });

  it('a snapshot cut to its tail moves the floor past what it dropped', () => {
    const j = new Journal();
    for (let i = 0; i < 10; i++) j.record(`f${i}.h`, 'changed');
    const snap = j.snapshot(4);
    const k = new Journal({ id: j.id, epoch: j.epoch, snapshot: snap });
    expect(k.floor).toBe(6);
    expect(k.changesSince(5, j.id).complete).toBe(false);
    expect(k.changesSince(6, j.id).changes.map((c) => c.path)).toEqual(['f6.h', 'f7.h', 'f8.h', 'f9.h']);
  });

  it('refuses a snapshot whose entries are out of order', () => {
    const k = new Journal({
      id: 'x',
      epoch: 5,
      snapshot: {
        floor: 0,
        entries: [
          [3, 'a.h', 'changed'],
          [2, 'b.h', 'changed'],
        ],
      },
    });
    expect(k.changesSince(0, 'x').complete).toBe(false);
    expect(k.changesSince(5, 'x').complete).toBe(true);
  });
});
