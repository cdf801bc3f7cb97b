// The discovery service against real watches of real temp directories (its own fs.watch per
// directory natively, chokidar when polling).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nodeIO, type DiscoveryIO } from '../../daemons/discovery/io.js';
import { DiscoveryService, type ChangesResult, type DiscoveryOptions } from '../../daemons/discovery/service.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const services: DiscoveryService[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(services.splice(0).map((s) => s.close().catch(() => undefined)));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix = 'rb-disc-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

function project(files: Record<string, string>): string {
  const root = tmp();
  for (const [rel, content] of Object.entries(files)) put(root, rel, content);
  return root;
}

function put(root: string, rel: string, content: string): void {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), content);
}

function countingIO() {
  const inner = nodeIO();
  const counts = { stat: 0, hashFile: 0, readdir: 0 };
  const io: DiscoveryIO = {
    stat: (p) => (counts.stat++, inner.stat(p)),
    hashFile: (p) => (counts.hashFile++, inner.hashFile(p)),
    readdir: (p) => (counts.readdir++, inner.readdir(p)),
  };
  const reset = () => {
    counts.stat = counts.hashFile = counts.readdir = 0;
  };
  return { io, counts, reset };
}

async function open(root: string, opts: Partial<DiscoveryOptions> = {}): Promise<DiscoveryService> {
  const s = await DiscoveryService.open({ root, ...opts });
  services.push(s);
  return s;
}

/** The journal position right now (the first answer of a fresh journal is incomplete by design). */
async function mark(svc: DiscoveryService): Promise<ChangesResult> {
  const st = svc.status();
  return svc.changesSince(st.epoch, st.journal_id);
}

const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const sorted = (r: ChangesResult) => [...r.changes].sort(byPath);

describe('discovery service', () => {
  it('200 rounds of "write, then ask at once" never miss the edit', async () => {
    const root = project({ 'src/a.h': 'round start', 'src/main.cpp': 'int main(){}' });
    const svc = await open(root);
    let r = await mark(svc);
    let missed = 0;
    for (let i = 0; i < 200; i++) {
      // Same size every round (so stat size never tells), and every other round an editor's
      // atomic save (write a temp file, rename it over the original).
      const content = `round ${String(i).padStart(5, '0')}`;
      if (i % 2 === 0) writeFileSync(join(root, 'src/a.h'), content);
      else {
        writeFileSync(join(root, 'src/.a.h.tmp~'), content);
        renameSync(join(root, 'src/.a.h.tmp~'), join(root, 'src/a.h'));
      }
      const q = await svc.changesSince(r.epoch, r.journal_id);
      expect(q.complete).toBe(true);
      if (!q.changes.some((c) => c.path === 'src/a.h' && c.kind === 'changed')) missed++;
      expect(q.changes.some((c) => c.path.includes('replibuild-cookie'))).toBe(false);
      expect(await svc.hash('src/a.h', { sync: false })).toBe(sha(content));
      r = q;
    }
    expect(missed).toBe(0);
  });

  it('sees files added and removed right before the question, in new directories too', async () => {
    const root = project({ 'src/a.h': 'a' });
    const svc = await open(root);
    let r = await mark(svc);
    for (let i = 0; i < 30; i++) {
      put(root, `gen${i}/deep/er/n${i}.h`, `n${i}`);
      if (i > 0) rmSync(join(root, `gen${i - 1}`), { recursive: true });
      const q = await svc.changesSince(r.epoch, r.journal_id);
      expect(q.complete).toBe(true);
      const expected = [{ path: `gen${i}/deep/er/n${i}.h`, kind: 'added' }];
      if (i > 0) expected.unshift({ path: `gen${i - 1}/deep/er/n${i - 1}.h`, kind: 'removed' });
      expect(sorted(q)).toEqual(expected.sort(byPath));
      r = q;
    }
    // A file created in a new directory after its first walk, before it was watched.
    mkdirSync(join(root, 'late'));
    await svc.changesSince(r.epoch, r.journal_id);
    put(root, 'late/x.h', 'x');
    const q = await svc.changesSince(r.epoch, r.journal_id);
    expect(q.changes).toContainEqual({ path: 'late/x.h', kind: 'added' });
    expect(svc.status().watched_files).toBe(3);
  });

  it('a touch or a rewrite with the same content records nothing', async () => {
    const root = project({ 'src/a.h': 'same', 'src/b.h': 'b' });
    const svc = await open(root);
    const r = await mark(svc);
    const future = new Date(Date.now() + 3_600_000);
    utimesSync(join(root, 'src/a.h'), future, future);
    writeFileSync(join(root, 'src/b.h'), 'b');
    const q = await svc.changesSince(r.epoch, r.journal_id);
    expect(q).toMatchObject({ complete: true, changes: [], epoch: r.epoch });
  });

  it('reports a header added, renamed and removed, and a removed directory', async () => {
    const root = project({ 'include/x.h': 'x', 'include/sub/y.h': 'y', 'src/a.cpp': 'a' });
    const svc = await open(root);
    let r = await mark(svc);
    const step = async () => {
      const q = await svc.changesSince(r.epoch, r.journal_id);
      expect(q.complete).toBe(true);
      r = q;
      return sorted(q);
    };
    writeFileSync(join(root, 'include/new.h'), 'new');
    expect(await step()).toEqual([{ path: 'include/new.h', kind: 'added' }]);
    renameSync(join(root, 'include/new.h'), join(root, 'include/renamed.h'));
    expect(await step()).toEqual([
      { path: 'include/new.h', kind: 'removed' },
      { path: 'include/renamed.h', kind: 'added' },
    ]);
    unlinkSync(join(root, 'include/renamed.h'));
    expect(await step()).toEqual([{ path: 'include/renamed.h', kind: 'removed' }]);
    renameSync(join(root, 'include'), join(root, 'inc2'));
    expect(await step()).toEqual([
      { path: 'inc2/sub/y.h', kind: 'added' },
      { path: 'inc2/x.h', kind: 'added' },
      { path: 'include/sub/y.h', kind: 'removed' },
      { path: 'include/x.h', kind: 'removed' },
    ]);
    rmSync(join(root, 'inc2'), { recursive: true });
    expect(await step()).toEqual([
      { path: 'inc2/sub/y.h', kind: 'removed' },
      { path: 'inc2/x.h', kind: 'removed' },
    ]);
    expect(await svc.hash('inc2/x.h')).toBeNull();
    expect(svc.status().watched_files).toBe(1);
  });

  it('a new header that may shadow one in use names the sources that included it', async () => {
    const root = project({ 'src/main.cpp': '#include "foo.h"', 'src/util.cpp': '#include "bar.h"', 'a/foo.h': 'a', 'a/bar.h': 'b' });
    const svc = await open(root);
    svc.recordDeps('src/main.cpp', ['a/foo.h', '/usr/include/stdio.h']);
    svc.recordDeps(join(root, 'src/util.cpp'), [join(root, 'a/bar.h'), './a/../a/foo.h']);
    expect(svc.dependents(['a/foo.h'])).toEqual(['src/main.cpp', 'src/util.cpp']);
    expect(svc.dependents([join(root, 'a/bar.h')])).toEqual(['src/util.cpp']);
    const r = await mark(svc);
    put(root, 'b/foo.h', 'shadow');
    const q = await svc.changesSince(r.epoch, r.journal_id);
    expect(q.changes).toEqual([{ path: 'b/foo.h', kind: 'added' }]);
    expect(q.shadowing).toEqual([{ path: 'b/foo.h', sources: ['src/main.cpp', 'src/util.cpp'] }]);
    expect(svc.shadowCandidates(['b/foo.h'])).toEqual(['src/main.cpp', 'src/util.cpp']);
    expect(svc.shadowCandidates(['b/bar.h'])).toEqual(['src/util.cpp']);
    expect(svc.shadowCandidates(['b/none.h'])).toEqual([]);
  });

  it('ignores the build dir, .git, node_modules, .replibuild and ignored patterns; config edits are announced', async () => {
    const root = project({ 'src/a.h': 'a', 'replibuild.toml': 'name = "p"\n', '.replibuild/daemon_config.toml': '' });
    const svc = await open(root, { ignored: ['*.tmp', '*.swp', 'third_party'], buildDir: 'out' });
    const announced: string[] = [];
    svc.onConfigFileChange((path) => announced.push(path));
    const before = svc.status().watched_files;
    expect(before).toBe(3);
    const r = await mark(svc);
    for (const rel of ['out/obj/a.o', 'out/gen/x.h', 'src/x.tmp', 'src/.a.h.swp', '.git/HEAD', 'node_modules/p/i.h',
      'lib/node_modules/q.h', '.replibuild/pids/setup.pid', '.replibuild/state/other.json', 'third_party/z/z.h']) {
      put(root, rel, 'ignored');
    }
    let q = await svc.changesSince(r.epoch, r.journal_id);
    expect(q).toMatchObject({ complete: true, changes: [] });
    expect(svc.status().watched_files).toBe(before);
    writeFileSync(join(root, '.replibuild/daemon_config.toml'), '[daemons]\n');
    writeFileSync(join(root, 'replibuild.toml'), 'name = "q"\n');
    q = await svc.changesSince(q.epoch, q.journal_id);
    expect(sorted(q)).toEqual([
      { path: '.replibuild/daemon_config.toml', kind: 'changed' },
      { path: 'replibuild.toml', kind: 'changed' },
    ]);
    expect(announced.sort()).toEqual(['.replibuild/daemon_config.toml', 'replibuild.toml']);
    // Ignored files are not in the index, so hash() reads them from disk.
    expect(await svc.hash('out/gen/x.h')).toBe(sha('ignored'));
  });

  it('hash() of a watched file reads nothing from disk; unwatched files are stat-cached', async () => {
    const root = project({ 'src/a.h': 'aaa', 'src/b.h': 'bbb' });
    const outside = tmp('rb-disc-outside-');
    writeFileSync(join(outside, 'sys.h'), 'system');
    const { io, counts, reset } = countingIO();
    const svc = await open(root, { io });
    reset();
    expect(await svc.hash('src/a.h')).toBe(sha('aaa'));
    expect(await svc.hash(join(root, 'src/b.h'))).toBe(sha('bbb'));
    expect(await svc.hashMany(['src/a.h', 'src/b.h', 'src/missing.h'])).toEqual([sha('aaa'), sha('bbb'), null]);
    expect(counts).toEqual({ stat: 0, hashFile: 0, readdir: 0 });

    expect(await svc.hash(join(outside, 'sys.h'))).toBe(sha('system'));
    expect(await svc.hash(join(outside, 'sys.h'))).toBe(sha('system'));
    expect(counts.stat).toBe(2);
    // Racy (just written): not cached yet, so it may be read twice; never more than once per call.
    expect(counts.hashFile).toBeLessThanOrEqual(2);
    expect(await svc.hash(join(outside, 'nope.h'))).toBeNull();

    // An edit is still seen by hash() right away (it syncs first).
    writeFileSync(join(root, 'src/a.h'), 'changed');
    expect(await svc.hash('src/a.h')).toBe(sha('changed'));
  });

  it('restart: edits, additions and deletions made while closed are journaled after the persisted epoch', async () => {
    const files: Record<string, string> = { 'a.h': 'a', 'b.h': 'b', 'c.h': 'c' };
    for (let i = 0; i < 10; i++) files[`src/s${i}.cpp`] = `s${i}`;
    const root = project(files);
    await sleep(2100); // past the racy window, so stat alone vouches for unchanged files
    const svc = await open(root);
    svc.recordDeps('src/s0.cpp', ['a.h']);
    const r = await mark(svc);
    await svc.close();

    writeFileSync(join(root, 'a.h'), 'a2');
    unlinkSync(join(root, 'b.h'));
    writeFileSync(join(root, 'd.h'), 'd');
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'c.h'), later, later); // touched, same content

    const { io, counts } = countingIO();
    const svc2 = await open(root, { io });
    expect(counts.hashFile).toBe(3); // a.h, c.h (stat moved) and d.h; none of the others
    expect(svc2.status().journal_id).toBe(r.journal_id);
    const q = await svc2.changesSince(r.epoch, r.journal_id);
    expect(q.complete).toBe(true);
    expect(sorted(q)).toEqual([
      { path: 'a.h', kind: 'changed' },
      { path: 'b.h', kind: 'removed' },
      { path: 'd.h', kind: 'added' },
    ]);
    expect(svc2.dependents(['a.h'])).toEqual(['src/s0.cpp']); // the header graph survived too
    expect(await svc2.changesSince(r.epoch, 'some-other-journal')).toMatchObject({ complete: false, reason: expect.stringMatching(/journal_id/) });
    expect(await svc2.changesSince(q.epoch + 5, q.journal_id)).toMatchObject({ complete: false, reason: 'epoch from the future' });
  });

  it('restart after a crash (index not closed cleanly) or with a corrupt index: new journal, complete=false', async () => {
    const root = project({ 'a.h': 'a', 'src/m.cpp': 'm' });
    const stateFile = join(root, '.replibuild/state/discovery-index.json');
    const svc = await open(root);
    const r = await mark(svc);
    await svc.close();
    const saved = JSON.parse(readFileSync(stateFile, 'utf8'));
    expect(saved.clean).toBe(true);
    writeFileSync(stateFile, JSON.stringify({ ...saved, clean: false }));

    const svc2 = await open(root);
    expect(svc2.status().journal_id).not.toBe(r.journal_id);
    expect(svc2.status().watched_files).toBe(2);
    const q = await svc2.changesSince(r.epoch, r.journal_id);
    expect(q).toMatchObject({ complete: false, reason: expect.stringMatching(/journal_id/) });
    // While running, the state on disk never claims a clean close.
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).clean).toBe(false);
    await svc2.close();

    writeFileSync(stateFile, '{"version":1,"root":');
    const svc3 = await open(root);
    expect(svc3.status().watched_files).toBe(2);
    expect(svc3.status().journal_id).not.toBe(q.journal_id);
    expect(await svc3.hash('a.h')).toBe(sha('a'));
  });

  it('after a watcher error it rescans and answers complete=false for epochs before it', async () => {
    const root = project({ 'a.h': 'a' });
    const svc = await open(root);
    const r = await mark(svc);
    writeFileSync(join(root, 'a.h'), 'a2');
    // The native watcher's fs.watch handles are private to it; emit an error on one as Node would.
    const watches = (svc as unknown as { watcher: { watches: Map<string, { fsw: NodeJS.EventEmitter }> } }).watcher.watches;
    [...watches.values()][0]!.fsw.emit('error', Object.assign(new Error('simulated'), { code: 'EIO' }));
    const q = await svc.changesSince(r.epoch, r.journal_id);
    expect(q.complete).toBe(false);
    expect(q.reason).toMatch(/lost/);
    expect(await svc.hash('a.h', { sync: false })).toBe(sha('a2'));
    writeFileSync(join(root, 'b.h'), 'b');
    const q2 = await svc.changesSince(q.epoch, q.journal_id);
    expect(q2).toMatchObject({ complete: true, changes: [{ path: 'b.h', kind: 'added' }] });
    expect(svc.status().rescans).toBeGreaterThanOrEqual(2);
  });

  it('watches include dirs outside the project, named by absolute path', async () => {
    const root = project({ 'src/a.cpp': 'a' });
    const ext = tmp('rb-disc-ext-');
    writeFileSync(join(ext, 'lib.h'), 'lib');
    const { io, counts, reset } = countingIO();
    const svc = await open(root, { watchRoots: [ext, 'src'], io });
    expect(svc.status().roots).toEqual([root, ext]);
    const r = await mark(svc);
    writeFileSync(join(ext, 'lib.h'), 'lib2');
    const q = await svc.changesSince(r.epoch, r.journal_id);
    expect(q.changes).toEqual([{ path: join(ext, 'lib.h'), kind: 'changed' }]);
    reset();
    expect(await svc.hash(join(ext, 'lib.h'))).toBe(sha('lib2'));
    expect(counts.hashFile).toBe(0);
  });

  it('concurrent questions share sync rounds and all see the edit', async () => {
    const root = project({ 'a.h': 'a' });
    const svc = await open(root);
    const r = await mark(svc);
    const rounds = svc.status().sync_rounds;
    writeFileSync(join(root, 'a.h'), 'a2');
    const answers = await Promise.all(Array.from({ length: 10 }, () => svc.changesSince(r.epoch, r.journal_id)));
    for (const a of answers) expect(a.changes).toEqual([{ path: 'a.h', kind: 'changed' }]);
    expect(svc.status().sync_rounds - rounds).toBeLessThanOrEqual(2);
  });

  it('polling mode (use_polling) and no-watcher mode still never answer stale', async () => {
    const root = project({ 'a.h': 'a' });
    const polled = await open(root, { usePolling: true, watchInterval: 100 });
    expect(polled.status().polling).toBe(true);
    let r = await mark(polled);
    writeFileSync(join(root, 'a.h'), 'a2');
    put(root, 'new/b.h', 'b');
    let q = await polled.changesSince(r.epoch, r.journal_id);
    expect(sorted(q)).toEqual([
      { path: 'a.h', kind: 'changed' },
      { path: 'new/b.h', kind: 'added' },
    ]);
    await polled.close();

    const manual = await open(root, { watch: false });
    expect(manual.status()).toMatchObject({ polling: false, degraded: true });
    r = await mark(manual);
    writeFileSync(join(root, 'a.h'), 'a3');
    q = await manual.changesSince(r.epoch, r.journal_id);
    expect(q.changes).toEqual([{ path: 'a.h', kind: 'changed' }]);
    expect(await manual.hash('a.h')).toBe(sha('a3'));
  });

  it('an unexpected read error is reported as a change and never answered from a stale hash', async () => {
    const root = project({ 'ok.h': 'ok', 'bad.h': 'bad' });
    const inner = nodeIO();
    let failing = true;
    const io: DiscoveryIO = {
      ...inner,
      hashFile: (p) =>
        failing && p.endsWith('bad.h') ? Promise.reject(Object.assign(new Error('EIO: i/o error'), { code: 'EIO' })) : inner.hashFile(p),
    };
    const svc = await open(root, { io });
    expect(svc.status().watched_files).toBe(1);
    await expect(svc.hash('bad.h')).rejects.toThrow(/EIO/);
    failing = false;
    expect(await svc.hash('bad.h')).toBe(sha('bad')); // read on demand while its indexed hash is unknown
    const r = await mark(svc);
    writeFileSync(join(root, 'bad.h'), 'bad2');
    const q = await svc.changesSince(r.epoch, r.journal_id);
    expect(q.changes).toEqual([{ path: 'bad.h', kind: 'added' }]);
    expect(await svc.hash('bad.h', { sync: false })).toBe(sha('bad2'));
    expect(svc.status().watched_files).toBe(2);
  });

  it('status() reports watched files, epoch, journal id, roots and mode; closed services refuse work', async () => {
    const root = project({ 'a.h': 'a', 'b/c.h': 'c' });
    const svc = await open(root);
    const st = svc.status();
    expect(st).toMatchObject({ watched_files: 2, roots: [root], polling: false, degraded: false });
    expect(typeof st.epoch).toBe('number');
    expect(st.journal_id).toMatch(/^[0-9a-f-]{36}$/);
    await svc.close();
    await svc.close(); // idempotent
    await expect(svc.changesSince(0, st.journal_id)).rejects.toThrow(/closed/);
  });
});

// Discovery watches directories, not files (watcher.ts): one native watch per directory,
// and the events of a directory's watch alone (no sync round, no rescan) still name every
// edit, including an editor's save by rename over the file and a file created in a
// directory that did not exist a moment before.
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

/** As seenByEvents, until the index holds nothing for `rel`. */
async function goneByEvents(svc: DiscoveryService, rel: string): Promise<boolean> {
  for (let i = 0; i < 500; i++) {
    if ((await svc.hash(rel, { sync: false })) === null) return true;
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

  // The tree's shape follows rename events alone (native-watcher.ts): a directory's watch
  // follows its inode, so one removed, renamed or replaced must be watched anew.
  it('a directory removed and made again at the same path is watched anew: writes in it are seen from events alone', async () => {
    const root = project({ 'src/sub/a.h': 'a' });
    const svc = await open(root);
    const start = svc.status();
    for (let i = 0; i < 5; i++) {
      rmSync(join(root, 'src/sub'), { recursive: true });
      expect(await goneByEvents(svc, 'src/sub/a.h')).toBe(true);
      mkdirSync(join(root, 'src/sub'));
      writeFileSync(join(root, 'src/sub/a.h'), `a${i}`);
      expect(await seenByEvents(svc, 'src/sub/a.h', `a${i}`)).toBe(true);
      // Its new watch, not the dead one of the old inode, reports a later write.
      await sleep(30);
      writeFileSync(join(root, 'src/sub/a.h'), `a${i}-edited`);
      expect(await seenByEvents(svc, 'src/sub/a.h', `a${i}-edited`)).toBe(true);
    }
    expect(svc.status().rescans).toBe(start.rescans);
  }, 60_000);

  it('a directory renamed in the tree, and one renamed over another, are watched under their new names', async () => {
    const root = project({ 'src/old/a.h': 'a', 'src/keep/b.h': 'b' });
    const svc = await open(root);
    const start = svc.status();
    renameSync(join(root, 'src/old'), join(root, 'src/new'));
    expect(await seenByEvents(svc, 'src/new/a.h', 'a')).toBe(true);
    writeFileSync(join(root, 'src/new/a.h'), 'a2');
    expect(await seenByEvents(svc, 'src/new/a.h', 'a2')).toBe(true);
    // A directory made elsewhere in the tree, then renamed over the emptied src/keep: the
    // path stays a directory all along, but another inode, which the old watch never sees.
    put(root, 'src/staging/b.h', 'b-staged');
    expect(await seenByEvents(svc, 'src/staging/b.h', 'b-staged')).toBe(true);
    unlinkSync(join(root, 'src/keep/b.h'));
    renameSync(join(root, 'src/staging'), join(root, 'src/keep'));
    expect(await seenByEvents(svc, 'src/keep/b.h', 'b-staged')).toBe(true);
    writeFileSync(join(root, 'src/keep/b.h'), 'b3');
    expect(await seenByEvents(svc, 'src/keep/b.h', 'b3')).toBe(true);
    const q = await svc.changesSince(start.epoch, start.journal_id);
    expect(q.complete).toBe(true);
    expect(sorted(q).filter((c) => !c.path.startsWith('src/staging/'))).toEqual([
      { path: 'src/keep/b.h', kind: 'changed' },
      { path: 'src/new/a.h', kind: 'added' },
      { path: 'src/old/a.h', kind: 'removed' },
    ]);
    expect(svc.status().rescans).toBe(start.rescans);
  });

  it('a directory tree moved in from outside is watched, its files seen; moved out, it is forgotten', async () => {
    const root = project({ 'src/a.h': 'a' });
    const outside = tmp();
    put(outside, 'lib/deep/x.h', 'x');
    const svc = await open(root);
    const watching = fsWatches();
    renameSync(join(outside, 'lib'), join(root, 'src/lib'));
    expect(await seenByEvents(svc, 'src/lib/deep/x.h', 'x')).toBe(true);
    expect(fsWatches()).toBe(watching + 2);
    writeFileSync(join(root, 'src/lib/deep/y.h'), 'y');
    expect(await seenByEvents(svc, 'src/lib/deep/y.h', 'y')).toBe(true);
    renameSync(join(root, 'src/lib'), join(outside, 'lib2'));
    const st = svc.status();
    const q = await svc.changesSince(st.epoch - 1, st.journal_id);
    expect(await svc.hash('src/lib/deep/x.h')).toBeNull();
    expect(q.complete).toBe(true);
    // Its two watches went with it.
    expect(fsWatches()).toBe(watching);
  });
});
