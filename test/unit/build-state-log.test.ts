// The build state's change log (build-state-log.ts): a save of a few records appends
// them, a load replays them, and the whole file is written again (the log removed)
// when the log grows or another process wrote meanwhile.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BuildState, buildStatePath, buildStateStamp, removeBuildState, type ObjectRecord } from '../../daemons/orchestrator/build-state.js';
import { logFileOf } from '../../daemons/orchestrator/build-state-log.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});
function root(): string {
  const r = mkdtempSync(join(tmpdir(), 'replibuild-state-log-'));
  roots.push(r);
  return r;
}

const rec = (src: string, hash = 's'): ObjectRecord => ({
  command_hash: 'c',
  source: src,
  source_hash: hash,
  headers: [{ path: 'inc/x.h', hash: 'b'.repeat(64) }],
});

/** A state with `n` records, written whole. */
async function written(r: string, n: number): Promise<void> {
  const s = await BuildState.load(r);
  for (let i = 0; i < n; i++) s.setObject(`o${i}.o`, rec(`s${i}.cpp`));
  s.setLink('app', { command_hash: 'l', output: 'app', inputs: [] });
  await s.save();
}

describe('the build state change log', () => {
  it('appends a small save and leaves the file alone; a load replays it, deletions included', async () => {
    const r = root();
    await written(r, 40);
    const file = buildStatePath(r);
    const before = readFileSync(file, 'utf8');
    const s = await BuildState.load(r);
    s.setObject('o1.o', rec('s1.cpp', 'edited'));
    s.deleteObject('o2.o');
    s.setObject('new.o', rec('new.cpp'));
    await s.save();
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(existsSync(logFileOf(file))).toBe(true);
    const back = await BuildState.load(r);
    expect(back.getObject('o1.o')!.source_hash).toBe('edited');
    expect(back.getObject('o2.o')).toBeUndefined();
    expect(back.getObject('new.o')!.source).toBe('new.cpp');
    expect(back.getObject('o3.o')).toEqual(rec('s3.cpp'));
    expect(back.getLink('app')).toBeDefined();
  });

  it('ignores a line cut short, and what follows it', async () => {
    const r = root();
    await written(r, 40);
    const s = await BuildState.load(r);
    s.setObject('o1.o', rec('s1.cpp', 'first'));
    await s.save();
    const log = logFileOf(buildStatePath(r));
    appendFileSync(log, '{"o":{"o3.o":null');
    appendFileSync(log, '\n{"o":{"o4.o":null}}\n');
    const back = await BuildState.load(r);
    expect(back.getObject('o1.o')!.source_hash).toBe('first');
    expect(back.getObject('o3.o')).toBeDefined();
    expect(back.getObject('o4.o')).toBeDefined();
  });

  it('writes the whole file again, and removes the log, once the log is half its size', async () => {
    const r = root();
    await written(r, 4);
    const file = buildStatePath(r);
    const s = await BuildState.load(r);
    let appended = 0;
    for (let i = 0; i < 50; i++) {
      s.setObject('o1.o', rec('s1.cpp', `v${i}`));
      await s.save();
      if (!existsSync(logFileOf(file))) break;
      appended++;
    }
    expect(appended).toBeGreaterThan(0);
    expect(existsSync(logFileOf(file))).toBe(false);
    expect((await BuildState.load(r)).getObject('o1.o')!.source_hash).toMatch(/^v\d+$/);
  });

  it('an append by another process changes the stamp, and a whole write keeps what it appended', async () => {
    const r = root();
    await written(r, 40);
    const file = buildStatePath(r);
    const daemon = await BuildState.load(r);
    const other = await BuildState.load(r);
    const stamp = buildStateStamp(file);
    other.setObject('theirs.o', rec('theirs.cpp'));
    await other.save();
    expect(statSync(logFileOf(file)).size).toBeGreaterThan(0);
    // What tells a daemon that someone else wrote the state (service.ts loadState).
    expect(buildStateStamp(file)).not.toBe(stamp);
    // Too many records to append: the whole file, merged with what is on disk.
    for (let i = 0; i < 300; i++) daemon.setObject(`o${i}.o`, rec(`s${i}.cpp`, 'daemon'));
    await daemon.save();
    expect(existsSync(logFileOf(file))).toBe(false);
    const back = await BuildState.load(r);
    expect(back.getObject('theirs.o')!.source).toBe('theirs.cpp');
    expect(back.getObject('o299.o')!.source_hash).toBe('daemon');
  });

  it('clean removes the log with the file', async () => {
    const r = root();
    await written(r, 40);
    const s = await BuildState.load(r);
    s.setObject('o1.o', rec('s1.cpp', 'x'));
    await s.save();
    const file = buildStatePath(r);
    expect(existsSync(logFileOf(file))).toBe(true);
    await removeBuildState(r);
    expect(existsSync(file) || existsSync(logFileOf(file))).toBe(false);
  });
});
