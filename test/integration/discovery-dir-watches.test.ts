// Discovery watches directories, not files (watcher.ts): one native watch per directory,
// and the events of a directory's watch alone (no sync round, no rescan) still name every
// edit, including an editor's save by rename over the file and a file created in a
// directory that did not exist a moment before.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DiscoveryService } from '../../daemons/discovery/service.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const services: DiscoveryService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'rb-dirwatch-'));
  dirs.push(root);
  for (const [rel, content] of Object.entries(files)) put(root, rel, content);
  return root;
}

function put(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

async function open(root: string): Promise<DiscoveryService> {
  const s = await DiscoveryService.open({ root });
  services.push(s);
  return s;
}

/** Native fs.watch handles of this process. */
const fsWatches = () => process.getActiveResourcesInfo().filter((r) => r === 'FSEventWrap').length;

/** Waits (at most 10 s, in 20 ms steps) until the index holds `content` for `rel`, asking
 *  without a sync round: only a watcher event can have put it there. */
async function seenByEvents(svc: DiscoveryService, rel: string, content: string): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if ((await svc.hash(rel, { sync: false })) === sha(content)) return true;
    await sleep(20);
  }
  return false;
}

describe('discovery with directory-level watches', () => {
  it('holds one native watch per directory, not one per file', async () => {
    const files: Record<string, string> = {};
    for (let d = 0; d < 3; d++) for (let f = 0; f < 40; f++) files[`d${d}/f${f}.h`] = `${d}.${f}`;
    const root = project(files);
    const before = fsWatches();
    const svc = await open(root);
    expect(svc.status().watched_files).toBe(120);
    // root, .replibuild (and its state dir), d0, d1, d2: far below the 120 files.
    const watches = fsWatches() - before;
    expect(watches).toBeGreaterThanOrEqual(4);
    expect(watches).toBeLessThanOrEqual(8);
  });

  it('an edit by rename over the file (an editor save) is seen from events alone, every time', async () => {
    const root = project({ 'src/a.h': 'v0', 'src/b.h': 'b' });
    const svc = await open(root);
    const start = svc.status();
    for (let i = 1; i <= 20; i++) {
      const content = `v${i}`;
      // Each save is a new inode: a watch on the old file would have gone with it.
      writeFileSync(join(root, 'src/.a.h.swp'), content);
      renameSync(join(root, 'src/.a.h.swp'), join(root, 'src/a.h'));
      expect(await seenByEvents(svc, 'src/a.h', content)).toBe(true);
    }
    const q = await svc.changesSince(start.epoch, start.journal_id);
    expect(q.complete).toBe(true);
    expect(q.changes).toEqual([{ path: 'src/a.h', kind: 'changed' }]);
    expect(svc.status().rescans).toBe(start.rescans);
  });

  it('a file created in a new subdirectory, and one written into it later, are seen from events alone', async () => {
    const root = project({ 'src/a.h': 'a' });
    const svc = await open(root);
    const start = svc.status();
    for (let i = 0; i < 10; i++) {
      put(root, `src/gen${i}/deep/n.h`, `n${i}`);
      expect(await seenByEvents(svc, `src/gen${i}/deep/n.h`, `n${i}`)).toBe(true);
      // The new directory is watched now: a later file in it has its own event.
      writeFileSync(join(root, `src/gen${i}/deep/later.h`), `later${i}`);
      expect(await seenByEvents(svc, `src/gen${i}/deep/later.h`, `later${i}`)).toBe(true);
      writeFileSync(join(root, `src/gen${i}/deep/later.h`), `edited${i}`);
      expect(await seenByEvents(svc, `src/gen${i}/deep/later.h`, `edited${i}`)).toBe(true);
    }
    const q = await svc.changesSince(start.epoch, start.journal_id);
    expect(q.complete).toBe(true);
    expect(q.changes.filter((c) => c.kind === 'added')).toHaveLength(20);
    expect(svc.status().rescans).toBe(start.rescans);
  });
});
