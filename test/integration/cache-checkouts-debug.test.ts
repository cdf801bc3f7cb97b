// Issue 12: a checkout at another path hits the same cache entries with -g in the
// flags. replibuild maps the project root to "." in the debug info and in __FILE__
// (-fdebug-prefix-map, -fmacro-prefix-map), so the objects do not name the checkout
// and the keys need not either: B's clean build is all hits, its objects are A's
// bytes, and nothing in them names A's root (nor B's).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILERS, withCompilers, type CompilerPair } from '../helpers/compilers.js';
import { cliSync, killProjectDaemons, objects, projectsPerTest, type TestProject, dropState } from '../helpers/project.js';

const project = projectsPerTest();

const TOML = `[project]
name = "t"

[compiler]
flags = ["-g", "-O1"]
include_dirs = ["include"]

[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
`;

const FILES = {
  'replibuild.toml': TOML,
  'src/main.cpp':
    '#include "v.h"\n#include <cstdio>\nint plain();\nconst char* where();\n' +
    'int main() { std::printf("%d %s\\n", plain() + V, where()); return 0; }\n',
  'src/plain.cpp': 'int plain() { return 7; }\n',
  // __FILE__ and __LINE__ in the TU and in a header it includes.
  'src/where.cpp':
    '#include "where.h"\n#include <cstdio>\nstatic char buf[256];\n' +
    'const char* where() { std::snprintf(buf, sizeof buf, "%s:%d|%s:%d", __FILE__, __LINE__, header_file(), header_line()); return buf; }\n',
  'include/v.h': '#define V 1\n',
  'include/where.h': 'inline const char* header_file() { return __FILE__; }\ninline int header_line() { return __LINE__; }\n',
};
const WANT = '8 src/where.cpp:4|include/where.h:2';

function json(p: Pick<TestProject, 'root' | 'env'>, args: string[]): Record<string, number> {
  const r = cliSync(args, p);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number>;
}

function run(root: string): string {
  const r = spawnSync(join(root, 'build/bin/app'), [], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** A's tree (sources and config only) copied to a longer path inside B's temp dir,
 *  so the two roots differ in length too; B's daemons are stopped whatever happens. */
function secondCheckout(a: TestProject, b: TestProject): { root: string; env: NodeJS.ProcessEnv; stop(): void } {
  const root = join(b.root, 'elsewhere', 'second-checkout');
  mkdirSync(root, { recursive: true });
  for (const f of ['replibuild.toml', 'src', 'include', '.replibuild/daemon_config.toml']) cpSync(join(a.root, f), join(root, f), { recursive: true });
  const env = { ...b.env, REPLIBUILD_CACHE_DIR: a.cacheDir };
  return {
    root,
    env,
    stop() {
      cliSync(['stop'], { root, env });
      killProjectDaemons(root);
    },
  };
}

// The prefix maps, -g and __FILE__ are where the compilers differ (clang's DWARF 5 checksums too).
describe.each(COMPILERS.map((c) => [c.name, c] as const))('under %s', (_name, c: CompilerPair) => {
  const proj = (files?: Record<string, string>): TestProject => {
    const p = project(files);
    p.env = withCompilers(p.env, c);
    return p;
  };

  it('another checkout with -g: all hits, the same bytes, no root in the objects, a right program', () => {
    const a = proj(FILES);
    expect(json(a, ['compile', '--json'])).toMatchObject({ compiled: 3, failed: 0 });
    expect(run(a.root)).toBe(WANT);
    expect(cliSync(['stop'], a).code).toBe(0);

    const b = secondCheckout(a, proj());
    try {
      const before = json(b, ['cache', 'stats', '--json']);
      expect(json(b, ['compile', '--json'])).toMatchObject({ compiled: 0, cached: 3, failed: 0 });
      const after = json(b, ['cache', 'stats', '--json']);
      expect(after.hits! - before.hits!).toBe(3);
      expect(after.misses).toBe(before.misses);
      // The link reads the same objects with the same relative command: A's program is a hit too.
      expect(after.link_hits! - before.link_hits!).toBe(1);

      const oa = objects(a.root);
      const ob = objects(b.root);
      expect([...ob.keys()].sort()).toEqual([...oa.keys()].sort());
      for (const [k, v] of oa) expect(ob.get(k)!.equals(v), k).toBe(true);

      // The debug info is there (-g), and names neither checkout.
      for (const k of ob.keys()) {
        const obj = join(b.root, k);
        const info = spawnSync('readelf', ['--debug-dump=info', obj], { encoding: 'utf8', maxBuffer: 64 << 20 });
        expect(info.status).toBe(0);
        expect(info.stdout).toContain('DW_AT_comp_dir');
        const str = spawnSync('strings', ['-a', obj], { encoding: 'utf8', maxBuffer: 64 << 20 });
        for (const text of [info.stdout, str.stdout]) {
          expect(text, k).not.toContain(a.root);
          expect(text, k).not.toContain(b.root);
        }
      }
      expect(run(b.root)).toBe(WANT);
    } finally {
      b.stop();
    }
  });

  it('__FILE__ and __LINE__ print the project-relative path from both checkouts, from the shared entries', () => {
    const a = proj(FILES);
    expect(json(a, ['compile', '--json'])).toMatchObject({ compiled: 3, failed: 0 });
    expect(cliSync(['stop'], a).code).toBe(0);
    const b = secondCheckout(a, proj());
    try {
      // B takes A's objects; then A, rebuilt clean, takes them back: one entry, right in both places.
      expect(json(b, ['compile', '--json'])).toMatchObject({ compiled: 0, cached: 3, failed: 0 });
      rmSync(join(a.root, 'build'), { recursive: true });
      dropState(a.root);
      expect(json(a, ['compile', '--json'])).toMatchObject({ compiled: 0, cached: 3, failed: 0 });
      for (const root of [a.root, b.root]) {
        const out = run(root);
        expect(out).toBe(WANT);
        expect(out).not.toContain(a.root);
        expect(out).not.toContain(b.root);
      }
    } finally {
      b.stop();
      cliSync(['stop'], a);
    }
  });
});
