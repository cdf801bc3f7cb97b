import { describe, expect, it } from 'vitest';
import { BUILD_STATE_VERSION, BuildState, parseBuildState, serializeBuildState, type BuildStateData, type ObjectRecord } from '../../daemons/orchestrator/build-state.js';
import { buildStatePieces } from '../../daemons/orchestrator/build-state-text.js';
import { PIECE_CHARS } from '../../fs/atomic-write.js';

const sys = { path: '/usr/include/c++/12/vector', hash: 'a'.repeat(64) };
const rec = (src: string, extra: { path: string; hash: string }[] = []): ObjectRecord => ({
  command_hash: 'c',
  source: src,
  source_hash: 's',
  headers: [sys, ...extra],
});

describe('build state on disk', () => {
  it('stores each header once and reads back the same records, sharing them in memory', () => {
    const data: BuildStateData = { version: 2, objects: {}, links: {} };
    for (let i = 0; i < 50; i++) data.objects[`o${i}.o`] = rec(`s${i}.cpp`, [{ path: 'inc/x.h', hash: 'b'.repeat(64) }]);
    const text = serializeBuildState(data);
    expect(text.split('/usr/include/c++/12/vector').length - 1).toBe(1);
    const back = parseBuildState(text);
    expect(back.objects).toEqual(data.objects);
    expect(back.objects['o1.o']!.headers[0]).toBe(back.objects['o2.o']!.headers[0]);
  });

  it('is made in pieces of about PIECE_CHARS, which read back as the whole state, links and search tables included', () => {
    const data: BuildStateData = { version: 2, objects: {}, links: { app: { command_hash: 'l', output: 'app', inputs: [{ path: 'o0.o', hash: 'd'.repeat(64) }] } } };
    for (let i = 0; i < 2000; i++) data.objects[`obj/o${i}.o`] = { ...rec(`src/s${i}.cpp`, [{ path: `inc/h${i % 300}.h`, hash: 'b'.repeat(64) }]), search: 'x1' };
    data.search_contexts = { x1: { quote: ['src'], chain: 'c1' } };
    data.search_chains = { c1: ['inc', '/usr/include'] };
    const pieces = [...buildStatePieces(data, BUILD_STATE_VERSION)];
    expect(pieces.length).toBeGreaterThan(2);
    for (const p of pieces.slice(0, -1)) expect(p.length).toBeLessThan(PIECE_CHARS + 1000);
    const text = pieces.join('');
    expect(text).toBe(serializeBuildState(data));
    const raw = JSON.parse(text) as Record<string, unknown>;
    expect(raw.version).toBe(BUILD_STATE_VERSION);
    expect((raw.files as unknown[]).length).toBe(301);
    expect(raw.search_chains).toEqual(data.search_chains);
    const back = parseBuildState(text);
    expect(back.links).toEqual(data.links);
    expect(back.objects['obj/o1999.o']).toEqual(data.objects['obj/o1999.o']);
  });

  it('shares the header records of fresh compiles too, and records exactly what was set', () => {
    const state = BuildState.empty('/nonexistent-root');
    // Each compile's record brings its own header objects (from its depfile).
    const a = rec('a.cpp', [{ path: 'inc/x.h', hash: 'b'.repeat(64) }]);
    const b: ObjectRecord = { ...rec('b.cpp'), headers: [{ ...sys }, { path: 'inc/x.h', hash: 'b'.repeat(64) }] };
    state.setObject('a.o', a);
    state.setObject('b.o', b);
    expect(state.getObject('a.o')).toEqual(a);
    expect(state.getObject('b.o')).toEqual(b);
    expect(state.getObject('a.o')!.headers[1]).toBe(state.getObject('b.o')!.headers[1]);
    // A header whose content differs is its own record.
    state.setObject('c.o', rec('c.cpp', [{ path: 'inc/x.h', hash: 'c'.repeat(64) }]));
    expect(state.getObject('c.o')!.headers[1]!.hash).toBe('c'.repeat(64));
    const text = serializeBuildState(state.snapshot());
    expect(text.split('inc/x.h').length - 1).toBe(2);
    expect(parseBuildState(text).objects['b.o']).toEqual(b);
  });

  it('still reads version 1 (inline header lists)', () => {
    const v1 = JSON.stringify({ version: 1, objects: { 'a.o': rec('a.cpp') }, links: {} });
    expect(parseBuildState(v1).objects['a.o']).toEqual(rec('a.cpp'));
  });

  it('drops a record whose header index is out of range, keeps the others', () => {
    const text = JSON.stringify({
      version: 2,
      files: [[sys.path, sys.hash]],
      objects: { 'good.o': { command_hash: 'c', source: 'g.cpp', source_hash: 's', h: [0] }, 'bad.o': { command_hash: 'c', source: 'b.cpp', source_hash: 's', h: [7] } },
      links: {},
    });
    const d = parseBuildState(text);
    expect(Object.keys(d.objects)).toEqual(['good.o']);
  });
});
