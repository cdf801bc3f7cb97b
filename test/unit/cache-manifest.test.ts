import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DirListingCache, FileInfoCache, snapshotFile } from '../../cache/fs-snapshot.js';
import { addEntry, decodeManifest, encodeManifest, type ManifestEntry } from '../../cache/manifest.js';
import { EntryChecker } from '../../cache/manifest-check.js';
import { recordEntry } from '../../cache/manifest-record.js';
import { includeNames } from '../../cache/literal-paths.js';
import { CorruptEntryError } from '../../cache/blob.js';
import type { QuickStat } from '../../fs/quick-stat.js';

const SLACK = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let cwd: string;
let sys: string;
const write = (root: string, rel: string, text: string) => {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
};

beforeEach(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rb-man-'));
  sys = mkdtempSync(join(tmpdir(), 'rb-sys-'));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
  rmSync(sys, { recursive: true, force: true });
});

/** Records an entry as if the preprocessor had entered `headers` (paths as it spells them). */
async function record(headers: string[], searchDirs: string[], probes: { fromDir: string; name: string }[] = []): Promise<ManifestEntry> {
  await sleep(SLACK * 2 + 10); // let every timestamp age past the racy margin
  const snaps = [];
  for (const h of headers) snaps.push({ path: h, snap: (await snapshotFile(h.startsWith('/') ? h : join(cwd, h)))! });
  const rec = await recordEntry({
    cwd,
    result: 'R',
    mainFile: 'src/a.cpp',
    headers: snaps,
    probes,
    searchDirs,
    forcedIncludes: false,
    dirCache: new DirListingCache(SLACK),
    referenceMs: Date.now(),
    racySlackMs: SLACK,
  });
  expect(rec.problem).toBeNull();
  return rec.entry;
}

const check = (e: ManifestEntry) => {
  const files = new FileInfoCache(SLACK);
  return new EntryChecker(cwd, files, files).check(e);
};

describe('recorded entries see what would change the preprocessor’s choice', () => {
  beforeEach(() => {
    write(cwd, 'src/a.cpp', '#include "foo.h"\n');
    write(cwd, 'a/foo.h', 'int a;\n');
  });

  it('holds while nothing changes', async () => {
    const e = await record(['a/foo.h'], ['b', 'a']);
    expect(await check(e)).toBeNull();
  });

  it('-Ib -Ia: a new b/foo.h in a directory that did not exist misses', async () => {
    const e = await record(['a/foo.h'], ['b', 'a']);
    write(cwd, 'b/foo.h', 'int b;\n');
    expect(await check(e)).toMatch(/b\/foo\.h appeared/);
  });

  it('-Ib -Ia: a new b/foo.h in an existing directory misses', async () => {
    mkdirSync(join(cwd, 'b'));
    const e = await record(['a/foo.h'], ['b', 'a']);
    expect(e.dirs.map((d) => d.path)).toContain('b');
    write(cwd, 'b/foo.h', 'int b;\n');
    expect(await check(e)).toMatch(/directory b changed/);
  });

  it('a new foo.h next to the source (quoted include) misses', async () => {
    const e = await record(['a/foo.h'], ['a']);
    write(cwd, 'src/foo.h', 'int s;\n');
    expect(await check(e)).not.toBeNull();
  });

  it('a new foo.h.gch beside the header misses', async () => {
    const e = await record(['a/foo.h'], ['a']);
    write(cwd, 'a/foo.h.gch', 'pch');
    expect(await check(e)).not.toBeNull();
  });

  it('a removed header misses', async () => {
    const e = await record(['a/foo.h'], ['a']);
    rmSync(join(cwd, 'a/foo.h'));
    expect(await check(e)).not.toBeNull();
  });

  it('an edited header misses; a touched one does not', async () => {
    const e = await record(['a/foo.h'], ['a']);
    const t = new Date(Date.now() + 5000);
    utimesSync(join(cwd, 'a/foo.h'), t, t);
    expect(await check(e)).toBeNull();
    write(cwd, 'a/foo.h', 'int A;\n');
    expect(await check(e)).toMatch(/header a\/foo\.h/);
  });

  it('a __has_include probe that starts finding its file misses', async () => {
    const e = await record(['a/foo.h'], ['a'], [{ fromDir: 'src', name: 'config.h' }]);
    write(cwd, 'a/config.h', '#define X 1\n');
    expect(await check(e)).not.toBeNull();
  });

  it('system headers: stat first, content on a stat mismatch', async () => {
    write(sys, 'sys.h', 'int s;\n');
    const sysH = join(sys, 'sys.h');
    const e = await record(['a/foo.h', sysH], ['a', sys]);
    expect(e.headers.find((h) => h.path === sysH)!.project).toBe(false);
    const t = new Date(Date.now() + 5000);
    utimesSync(sysH, t, t);
    expect(await check(e)).toBeNull();
    writeFileSync(sysH, 'int S;\n');
    expect(await check(e)).not.toBeNull();
  });

  it('a system directory gaining a shadowing header misses', async () => {
    mkdirSync(join(sys, 'first'));
    write(sys, 'second/lib.h', 'int l;\n');
    const lib = join(sys, 'second/lib.h');
    const e = await record(['a/foo.h', lib], ['a', join(sys, 'first'), join(sys, 'second')]);
    write(sys, 'first/lib.h', 'int shadow;\n');
    expect(await check(e)).not.toBeNull();
  });

  it('records a just-changed directory candidate by candidate', async () => {
    mkdirSync(join(cwd, 'b'));
    await sleep(SLACK * 2 + 10);
    const snaps = [{ path: 'a/foo.h', snap: (await snapshotFile(join(cwd, 'a/foo.h')))! }];
    write(cwd, 'b/other.h', '');
    const { entry: e } = await recordEntry({
      cwd, result: 'R', mainFile: 'src/a.cpp', headers: snaps, probes: [], searchDirs: ['b', 'a'],
      forcedIncludes: false, dirCache: new DirListingCache(SLACK), referenceMs: Date.now(), racySlackMs: SLACK,
    });
    expect(e.dirs.map((d) => d.path)).not.toContain('b');
    expect(e.absent).toContain('b/foo.h');
  });
});

describe('recording refuses what it cannot vouch for', () => {
  beforeEach(() => {
    write(cwd, 'src/a.cpp', '#include "foo.h"\n');
    write(cwd, 'a/foo.h', 'int a;\n');
  });
  const rec = async (referenceMs: number) =>
    recordEntry({
      cwd, result: 'R', mainFile: 'src/a.cpp',
      headers: [{ path: 'a/foo.h', snap: (await snapshotFile(join(cwd, 'a/foo.h')))! }],
      probes: [], searchDirs: ['b', 'a'], forcedIncludes: false,
      dirCache: new DirListingCache(SLACK), referenceMs, racySlackMs: SLACK,
    });

  it('a shadowing header that appeared after the preprocessor ran', async () => {
    await sleep(SLACK * 2 + 10);
    const preprocessedAt = Date.now();
    await sleep(SLACK * 2 + 10);
    write(cwd, 'b/foo.h', 'int b;\n'); // during the compile
    expect((await rec(preprocessedAt)).problem?.reason).toBe('changed during compile');
  });

  it('a precompiled header that gcc would pick up', async () => {
    write(cwd, 'b/foo.h.gch', 'pch');
    await sleep(SLACK * 2 + 10);
    expect((await rec(Date.now())).problem?.reason).toBe('precompiled header');
  });
});

describe('manifest format', () => {
  const entry = (result: string, hash = 'h'): ManifestEntry => ({
    result, created_ms: 1,
    headers: [{ path: 'a.h', hash, size: 1, mtime_ns: '1', ctime_ns: '1', ino: '1', project: true }],
    dirs: [], absent: [], present: [],
  });

  it('round-trips', () => {
    const m = addEntry(null, entry('r1'));
    expect(decodeManifest(encodeManifest(m))).toEqual(m);
  });

  it('refuses anything else', () => {
    expect(() => decodeManifest(Buffer.from('{"version":1,"entries":[{"result":3}]}'))).toThrow(CorruptEntryError);
    expect(() => decodeManifest(Buffer.from('{"vers'))).toThrow(CorruptEntryError);
  });

  it('keeps the newest entries, at most the bound, without duplicates', () => {
    let m = null;
    for (let i = 0; i < 60; i++) m = addEntry(m, entry(`r${i}`, `h${i}`), 50);
    expect(m!.entries).toHaveLength(50);
    expect(m!.entries[0]!.result).toBe('r59');
    m = addEntry(m, entry('r59', 'h59'), 50);
    expect(m.entries).toHaveLength(50);
  });

  it('derives include names from every directory a path is under', () => {
    expect(includeNames('/usr/include/c++/12/bits/x.h', ['/usr/include/c++/12', '/usr/include', 'inc'])).toEqual([
      'bits/x.h',
      'c++/12/bits/x.h',
    ]);
    expect(includeNames('inc/foo.h', ['', 'inc'])).toEqual(['inc/foo.h', 'foo.h']);
  });
});

describe('directories a TU never searched for a name (issue 10 item 9)', () => {
  it('a TU that includes nothing does not depend on a missing include dir’s nearest existing directory', async () => {
    mkdirSync(join(cwd, 'src'), { recursive: true });
    mkdirSync(join(cwd, 'empty'));
    write(cwd, 'src/a.cpp', 'int a() { return 1; }\n');
    const e = await record([], [join(sys, 'not-there', 'include'), 'empty', 'absent/inc']);
    expect(e.dirs).toEqual([]);
    expect(e.absent).toEqual([]);
    // Its stamp moving (another checkout's copy, a file created and removed) changes nothing for it.
    write(sys, 'other.h', '');
    write(cwd, 'absent', '');
    expect(await check(e)).toBeNull();
  });

  it('a TU that includes a header still depends on every directory searched for it', async () => {
    write(cwd, 'include/v.h', '#define V 1\n');
    mkdirSync(join(cwd, 'empty'));
    write(cwd, 'src/a.cpp', '#include "v.h"\n');
    const e = await record(['include/v.h'], [join(sys, 'not-there', 'include'), 'empty', 'include']);
    expect(e.dirs.map((d) => d.path)).toEqual(expect.arrayContaining([sys, 'empty']));
    write(join(sys, 'not-there', 'include'), 'v.h', '#define V 2\n');
    expect(await check(e)).not.toBeNull();
  });
});

describe('a directory listing checked through the build’s shared stat (build-stats.ts)', () => {
  it('the daemon’s listing memo is trusted only while the build’s stat of the dir shows its stamp', async () => {
    write(cwd, 'src/a.cpp', '#include "foo.h"\n');
    write(cwd, 'a/foo.h', 'int a;\n');
    mkdirSync(join(cwd, 'b'));
    const e = await record(['a/foo.h'], ['b', 'a']);
    expect(e.dirs.find((d) => d.path === 'b')?.names).toBeDefined();
    // One listing memo for the daemon's life, one stat map per build, as in the compile cache.
    const files = new FileInfoCache(SLACK);
    const dirs = new DirListingCache(SLACK);
    const build1 = new Map<string, QuickStat | null>();
    const checker = (stats: Map<string, QuickStat | null>) => new EntryChecker(cwd, files, files, dirs, stats);
    expect(await checker(build1).check(e)).toBeNull();
    write(cwd, 'b/foo.h', 'int b;\n');
    // The next build stats the directory afresh: its memoized listing no longer holds.
    expect(await checker(new Map<string, QuickStat | null>()).check(e)).toMatch(/directory b changed/);
    // Within the first build the stat taken before the change stands (the hit then says
    // when its inputs were checked, and the orchestrator records the TU as unknown).
    expect(await checker(build1).check(e)).toBeNull();
  });
});

describe('header stamps judged once per build and working directory (build-stats.ts)', () => {
  it('one record checked from another working directory is judged there, and a new build judges afresh', async () => {
    write(cwd, 'src/a.cpp', '#include "foo.h"\n');
    write(cwd, 'a/foo.h', 'int a;\n');
    const e = await record(['a/foo.h'], ['a']);
    const other = mkdtempSync(join(tmpdir(), 'rb-man-other-'));
    try {
      write(other, 'src/a.cpp', '#include "foo.h"\n');
      write(other, 'a/foo.h', 'int other;\n');
      const files = new FileInfoCache(SLACK);
      const dirs = new DirListingCache(SLACK);
      const stamps = new Map<string, Map<object, boolean | null>>();
      const checker = (at: string, stats = new Map<string, QuickStat | null>(), st = stamps) => new EntryChecker(at, files, files, dirs, stats, st);
      expect(await checker(cwd).check(e)).toBeNull();
      // The same record instance, another checkout of the tree in the same build: its own file decides.
      expect(await checker(other).check(e)).toMatch(/header a\/foo\.h/);
      write(cwd, 'a/foo.h', 'int A;\n');
      expect(await checker(cwd, new Map(), new Map<string, Map<object, boolean | null>>()).check(e)).toMatch(/header a\/foo\.h/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
