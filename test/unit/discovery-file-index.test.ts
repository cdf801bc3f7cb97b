import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  entryFor,
  FileIndex,
  loadState,
  persistedStatePieces,
  persistedStateText,
  Persister,
  RACY_NS,
  serializeIndex,
  statUnchanged,
  writeStateAtomic,
  writeStatePieces,
  type PersistedState,
} from '../../daemons/discovery/file-index.js';
import type { FileStat } from '../../daemons/discovery/io.js';
import { HeaderGraph } from '../../daemons/discovery/header-graph.js';
import { PIECE_CHARS } from '../../fs/atomic-write.js';

const HASH = 'a'.repeat(64);
const st = (over: Partial<FileStat> = {}): FileStat => ({ kind: 'file', size: 3, mtime_ns: 1_000_000_000_000n, ctime_ns: 1_000_000_000_000n, ino: 42n, ...over });

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rb-disc-index-'));
  dirs.push(d);
  return d;
}

function state(index: FileIndex, over: Partial<PersistedState> = {}): PersistedState {
  return {
    version: 1, root: '/proj', journal_id: 'j1', epoch: 7, clean: true, saved_at: new Date().toISOString(),
    files: serializeIndex(index), deps: { 'a.cpp': ['x.h'] }, journal: { floor: 5, entries: [[6, 'x.h', 'changed'], [7, 'y.h', 'added']] },
    ...over,
  };
}

describe('discovery file index', () => {
  it('writes its state as text entry by entry: exactly what the object form stringifies to, and loads back', async () => {
    const ix = new FileIndex();
    ix.set('src/a "q".cpp', entryFor(st(), HASH, 10n * RACY_NS));
    ix.set('/opt/inc/b.h', entryFor(st({ size: 0, ino: 2n ** 60n, mtime_ns: 5n }), 'b'.repeat(64), 6n));
    const g = new HeaderGraph();
    g.record('src/a "q".cpp', ['/opt/inc/b.h', 'inc\\x.h']);
    g.record('src/c.cpp', ['/opt/inc/b.h']);
    const whole = state(ix, { deps: g.toJSON() });
    const { files: _f, deps: _d, ...head } = whole;
    const text = persistedStateText(head, ix, g.entries());
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(whole)));
    const empty = persistedStateText(head, new FileIndex(), new HeaderGraph().entries());
    expect(JSON.parse(empty)).toEqual({ ...JSON.parse(JSON.stringify(head)), files: {}, deps: {} });
    const file = join(tmp(), 'state.json');
    await writeStateAtomic(file, text);
    const back = await loadState(file, '/proj');
    expect(back?.deps).toEqual(g.toJSON());
    expect(back?.index.get('/opt/inc/b.h')).toEqual(ix.get('/opt/inc/b.h'));
  });

  it('makes a big state in pieces of about PIECE_CHARS and writes them as they come, into the same text', async () => {
    const ix = new FileIndex();
    const g = new HeaderGraph();
    for (let i = 0; i < 3000; i++) {
      ix.set(`src/t${i}.cpp`, entryFor(st({ ino: BigInt(i) }), HASH, 10n * RACY_NS));
      g.record(`src/t${i}.cpp`, [`inc/h${i % 7}.h`]);
    }
    const whole = state(ix, { deps: g.toJSON() });
    const { files: _f, deps: _d, ...head } = whole;
    const pieces = [...persistedStatePieces(head, ix, g.entries())];
    expect(pieces.length).toBeGreaterThan(2);
    for (const p of pieces.slice(0, -1)) expect(p.length).toBeLessThan(PIECE_CHARS + 1000);
    expect(JSON.parse(pieces.join(''))).toEqual(JSON.parse(JSON.stringify(whole)));
    const dir = tmp();
    const file = join(dir, 'sub', 'state.json');
    await writeStatePieces(file, () => persistedStatePieces(head, ix, g.entries()), dir);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['state.json']);
    const back = await loadState(file, '/proj');
    expect(back?.index.size).toBe(3000);
    expect(back?.deps).toEqual(g.toJSON());
  });

  it('gives back each entry as it was set, past its columns\' growth, after deletes reuse slots, and whole when it does not fit them', () => {
    const ix = new FileIndex();
    const want = new Map<string, ReturnType<typeof entryFor>>();
    for (let i = 0; i < 1000; i++) {
      const e = entryFor(st({ size: i, ino: 2n ** 63n + BigInt(i), mtime_ns: -BigInt(i), ctime_ns: 10n ** 18n + BigInt(i) }), i.toString(16).padStart(64, '0'), BigInt(i) * RACY_NS);
      ix.set(`f${i}`, e);
      want.set(`f${i}`, e);
    }
    for (let i = 0; i < 1000; i += 3) {
      ix.delete(`f${i}`);
      want.delete(`f${i}`);
    }
    const odd = [entryFor(st(), 'not-a-sha256', 10n * RACY_NS), entryFor(st({ ino: 2n ** 64n }), HASH, 10n * RACY_NS), entryFor(st({ mtime_ns: 2n ** 63n }), HASH, 10n * RACY_NS)];
    odd.forEach((e, i) => {
      ix.set(`odd${i}`, e);
      want.set(`odd${i}`, e);
    });
    ix.set('f1', want.get('f2')!);
    want.set('f1', want.get('f2')!);
    expect(ix.size).toBe(want.size);
    for (const [k, e] of want) {
      expect(ix.get(k)).toEqual(e);
      expect(ix.hashOf(k)).toBe(e.hash);
    }
    expect(new Map(ix.entries())).toEqual(want);
    expect(Object.fromEntries([...ix.persistedEntries()].map(([k, t]) => [k, JSON.parse(t)]))).toEqual(serializeIndex(ix));
    const key = 'src/deep/dir/a-long-file-name.cpp';
    ix.set(key.slice(0), want.get('f1')!);
    expect(ix.canonical(`src/deep/dir/${'a-long-file-name.cpp'}`)).toBe(key);
    expect(ix.canonical('src/not-there.cpp')).toBe('src/not-there.cpp');
    expect(ix.get('f0')).toBeUndefined();
    expect(ix.hashOf('f0')).toBeUndefined();
  });

  it('tracks files per directory, so a removed directory finds its files', () => {
    const ix = new FileIndex();
    const e = entryFor(st(), HASH, 10n * RACY_NS);
    for (const k of ['a.h', 'src/a.h', 'src/sub/b.h', 'srcx/c.h', '/opt/inc/d.h']) ix.set(k, e);
    expect(ix.under('src').sort()).toEqual(['src/a.h', 'src/sub/b.h']);
    expect(ix.under('').sort()).toEqual(['a.h', 'src/a.h', 'src/sub/b.h', 'srcx/c.h']);
    expect(ix.under('/opt')).toEqual(['/opt/inc/d.h']);
    expect(ix.hasDir('src/sub')).toBe(true);
    expect(ix.hasDir('src/a.h')).toBe(false);
    ix.delete('src/sub/b.h');
    expect(ix.hasDir('src/sub')).toBe(false);
    expect(ix.hasDir('src')).toBe(true);
    expect(ix.size).toBe(4);
  });

  it('trusts an unchanged stat only for entries hashed well after their mtime (racy entries)', () => {
    const s = st();
    const settled = entryFor(s, HASH, s.mtime_ns + 3n * RACY_NS);
    expect(settled.racy).toBe(false);
    expect(statUnchanged(settled, s)).toBe(true);
    expect(statUnchanged(settled, st({ size: 4 }))).toBe(false);
    expect(statUnchanged(settled, st({ mtime_ns: s.mtime_ns + 1n }))).toBe(false);
    expect(statUnchanged(settled, st({ ctime_ns: s.ctime_ns + 1n }))).toBe(false);
    expect(statUnchanged(settled, st({ ino: 43n }))).toBe(false);
    // Hashed in the same tick as the write: a second same-size write in that tick would not show.
    const racy = entryFor(s, HASH, s.mtime_ns + 1000n);
    expect(racy.racy).toBe(true);
    expect(statUnchanged(racy, s)).toBe(false);
  });

  it('persists atomically and loads back', async () => {
    const d = tmp();
    const file = join(d, 'state', 'discovery-index.json');
    const ix = new FileIndex();
    ix.set('src/a.h', entryFor(st({ ino: 2n ** 60n }), HASH, 10n * RACY_NS));
    await writeStateAtomic(file, state(ix));
    expect(readdirSync(join(d, 'state'))).toEqual(['discovery-index.json']); // no temp left behind
    const loaded = await loadState(file, '/proj');
    expect(loaded).not.toBeNull();
    expect(loaded!.journal_id).toBe('j1');
    expect(loaded!.epoch).toBe(7);
    expect(loaded!.clean).toBe(true);
    expect(loaded!.index.get('src/a.h')).toEqual(ix.get('src/a.h'));
    expect(loaded!.deps).toEqual({ 'a.cpp': ['x.h'] });
    expect(loaded!.journal.entries).toHaveLength(2);
  });

  it('starts empty on a missing, corrupt, foreign or malformed file', async () => {
    const d = tmp();
    const file = join(d, 'x.json');
    expect(await loadState(file, '/proj')).toBeNull();
    writeFileSync(file, '{"version":1,"root":"/proj", trunc');
    expect(await loadState(file, '/proj')).toBeNull();
    const ix = new FileIndex();
    ix.set('a.h', entryFor(st(), HASH, 10n * RACY_NS));
    await writeStateAtomic(file, state(ix));
    expect(await loadState(file, '/other')).toBeNull();
    const bad = state(ix);
    (bad.files['a.h'] as unknown[])[4] = 'not-a-hash';
    await writeStateAtomic(file, bad);
    expect(await loadState(file, '/proj')).toBeNull();
    await writeStateAtomic(file, { ...state(ix), version: 99 as 1 });
    expect(await loadState(file, '/proj')).toBeNull();
  });

  it('puts a due save off while requests come, up to maxDelayMs', async () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let asked = Date.now();
    let saves = 0;
    const quiet = { lastAskedMs: () => asked, quietMs: 80, maxDelayMs: 60_000 };
    const p = new Persister(async () => void saves++, 10, () => {}, quiet);
    p.markDirty();
    for (let i = 0; i < 8; i++) {
      asked = Date.now();
      await sleep(20);
    }
    expect(saves).toBe(0); // asked every 20 ms: never 80 ms of quiet
    await sleep(250);
    expect(saves).toBe(1);

    // Asked all the time: the save still runs once it has waited maxDelayMs.
    const busy = new Persister(async () => void saves++, 10, () => {}, { ...quiet, lastAskedMs: () => Date.now(), maxDelayMs: 60 });
    busy.markDirty();
    await sleep(250);
    expect(saves).toBe(2);
  });

  it('debounces saves and never runs two at once', async () => {
    let saves = 0;
    let running = 0;
    let overlap = false;
    const p = new Persister(async () => {
      running++;
      if (running > 1) overlap = true;
      await new Promise((r) => setTimeout(r, 20));
      saves++;
      running--;
    }, 30, () => {});
    for (let i = 0; i < 10; i++) p.markDirty();
    await new Promise((r) => setTimeout(r, 120));
    expect(saves).toBe(1);
    p.markDirty();
    await Promise.all([p.flush(), p.flush(true)]);
    expect(overlap).toBe(false);
    expect(saves).toBeGreaterThanOrEqual(2);
    await p.flush();
    const before = saves;
    await p.flush(); // nothing dirty: no save
    expect(saves).toBe(before);
  });
});
