// Issue 10, items 5 and 7, through the CLI and the daemons: a cache directory swapped
// for a symlink after the daemons opened it is refused at the next build (no hits read
// from it, nothing written into it, the terminal says why); a read-only or full cache
// still builds right and says once per build, on stderr, that results were not stored.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSync, projectsPerTest, type TestProject, dropState } from '../helpers/project.js';

const project = projectsPerTest();
const isRoot = process.getuid?.() === 0;

function twoTuProject(): TestProject {
  return project({
    'src/main.cpp': 'int add(int, int);\n#include <cstdio>\nint main() { std::printf("%d\\n", add(2, 3)); return 0; }\n',
    'src/add.cpp': 'int add(int a, int b) { return a + b; }\n',
  });
}

function json(p: TestProject, args: string[]): { r: ReturnType<typeof cliSync>; out: Record<string, unknown> } {
  const r = cliSync(args, p);
  expect(r.code, r.stderr).toBe(0);
  return { r, out: JSON.parse(r.stdout) as Record<string, unknown> };
}

/** Every path below `dir` with its size and mtime: what "nothing was written" compares. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d).sort()) {
      const x = join(d, f);
      const st = statSync(x);
      out.push(`${x.slice(dir.length)} ${st.size} ${st.mtimeMs}`);
      if (st.isDirectory()) walk(x);
    }
  };
  walk(dir);
  return out;
}

function occurrences(text: string, what: string): number {
  return text.split(what).length - 1;
}

function program(p: TestProject): string {
  return execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });
}

describe('cache directory swapped after the daemons opened it (item 5)', () => {
  it.skipIf(!isRoot)('a symlink to another user’s directory is refused: no hits from it, nothing written into it, the terminal says why', () => {
    const p = twoTuProject();
    expect(cliSync(['start'], p).code).toBe(0);
    expect(json(p, ['compile', '--json']).out).toMatchObject({ compiled: 2, failed: 0 });
    // A restart lets the first build's background stores land (stop flushes them) and has
    // the new daemons open the cache before it is swapped: what is tested is a swap after
    // the open, not a store the first build had already started.
    expect(cliSync(['stop'], p).code).toBe(0);
    expect(cliSync(['start'], p).code).toBe(0);
    // Another user's directory holding everything the real cache held: hits, if followed.
    const theirs = join(p.root, '..', 'theirs');
    cpSync(p.cacheDir, theirs, { recursive: true });
    execFileSync('chown', ['-R', '65534:65534', theirs]);
    renameSync(p.cacheDir, `${p.cacheDir}.orig`);
    symlinkSync(theirs, p.cacheDir);
    const before = snapshot(theirs);
    rmSync(join(p.root, 'build'), { recursive: true });
    dropState(p.root);
    const { r, out } = json(p, ['compile', '--json']);
    expect(out).toMatchObject({ compiled: 2, cached: 0, failed: 0 });
    expect(program(p)).toBe('5\n');
    expect(r.stderr).toContain(p.cacheDir);
    expect(r.stderr).toMatch(/symbolic link/);
    expect(r.stderr).toMatch(/REPLIBUILD_CACHE_DIR/);
    expect(occurrences(r.stderr, 'compile cache not used')).toBe(1);
    expect(cliSync(['stop'], p).code).toBe(0);
    expect(snapshot(theirs)).toEqual(before);
  });
});

/** A 2 MB tmpfs for the cache, or the reason there cannot be one. */
function tmpfs(): { dir: string; umount(): void } | string {
  if (!isRoot) return 'mounting a tmpfs needs root';
  const dir = mkdtempSync(join(tmpdir(), 'rb-cachefs-'));
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', dir], { encoding: 'utf8' });
  if (m.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    return `mount -t tmpfs is not permitted here: ${(m.stderr || m.error?.message || '').trim()}`;
  }
  return {
    dir,
    umount: () => {
      if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function fill(dir: string): void {
  const fd = openSync(join(dir, 'filler'), 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let i = 0; i < 1000; i++) writeSync(fd, chunk);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd);
  }
  // The last partial page too: small writes until nothing fits.
  const fd2 = openSync(join(dir, 'filler2'), 'w');
  try {
    for (let i = 0; i < 100_000; i++) writeSync(fd2, Buffer.alloc(512, 1));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
  } finally {
    closeSync(fd2);
  }
}

describe('a cache that takes no writes (item 7)', () => {
  for (const kind of ['read-only', 'full'] as const) {
    it(`${kind}: the build succeeds and stderr says once that results were not stored, and why`, (ctx) => {
      const fs = tmpfs();
      if (typeof fs === 'string') {
        console.log(`skipped: ${fs}`);
        ctx.skip();
        return;
      }
      const p = twoTuProject();
      try {
        p.env.REPLIBUILD_CACHE_DIR = join(fs.dir, 'cache');
        for (const d of ['cache', 'cache/store', 'cache/stats']) mkdirSync(join(fs.dir, d), { mode: 0o700 });
        if (kind === 'read-only') {
          writeFileSync(join(fs.dir, 'marker'), '');
          expect(spawnSync('mount', ['-o', 'remount,ro', fs.dir]).status).toBe(0);
        } else {
          fill(fs.dir);
        }
        expect(cliSync(['start'], p).code).toBe(0);
        const { r, out } = json(p, ['compile', '--json']);
        expect(out).toMatchObject({ compiled: 2, failed: 0, ok: true });
        expect(program(p)).toBe('5\n');
        expect(occurrences(r.stderr, 'were not stored')).toBe(1);
        expect(r.stderr).toContain(join(fs.dir, 'cache'));
        expect(r.stderr).toMatch(kind === 'full' ? /ENOSPC/ : /read-only|EROFS/);
        // The next build says it again (once), and still builds.
        rmSync(join(p.root, 'build'), { recursive: true });
        dropState(p.root);
        const again = json(p, ['compile', '--json']);
        expect(again.out).toMatchObject({ compiled: 2, failed: 0 });
        expect(occurrences(again.r.stderr, 'were not stored')).toBe(1);
      } finally {
        cliSync(['stop'], p);
        fs.umount();
      }
    });
  }
});
