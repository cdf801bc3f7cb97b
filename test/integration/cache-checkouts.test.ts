// Issue 10, item 9: two checkouts of one project at different paths share a cache.
// One TU includes nothing, include_dirs lists an empty directory and one with
// headers: the second checkout's clean build is all cache hits, objects identical.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { cliSync, objects, projectsPerTest, type TestProject, dropState } from '../helpers/project.js';

const project = projectsPerTest();

const TOML = `[project]
name = "t"

[compiler]
include_dirs = ["empty", "include"]

[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
`;

function json(p: TestProject, args: string[]): Record<string, number> {
  const r = cliSync(args, p);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, number>;
}

it('another checkout hits for every TU, the one that includes nothing too', () => {
  const files = {
    'replibuild.toml': TOML,
    'src/main.cpp': '#include "v.h"\n#include <cstdio>\nint plain();\nint twice(int);\nint main() { std::printf("%d\\n", twice(plain() + V)); return 0; }\n',
    'src/plain.cpp': 'int plain() { return 7; }\n',
    'src/twice.cpp': 'int twice(int x) { return 2 * x; }\n',
    'src/w.cpp': '#include <w.h>\nint w() { return W; }\n',
    'include/v.h': '#define V 1\n',
    'include/w.h': '#define W 3\n',
  };
  const a = project(files);
  mkdirSync(join(a.root, 'empty'));
  expect(json(a, ['compile', '--json'])).toMatchObject({ compiled: 4, failed: 0 });
  expect(cliSync(['stop'], a).code).toBe(0);

  const b = project();
  rmSync(b.root, { recursive: true });
  cpSync(a.root, b.root, { recursive: true });
  rmSync(join(b.root, 'build'), { recursive: true });
  dropState(b.root);
  rmSync(join(b.root, '.replibuild/pids'), { recursive: true, force: true });
  rmSync(join(b.root, '.replibuild/daemon_logs'), { recursive: true, force: true });
  const shared = { ...b, env: { ...b.env, REPLIBUILD_CACHE_DIR: a.cacheDir } };
  const before = json(shared, ['cache', 'stats', '--json']);
  expect(json(shared, ['compile', '--json'])).toMatchObject({ compiled: 0, cached: 4, failed: 0 });
  expect(cliSync(['stop'], shared).code).toBe(0);
  const after = json(shared, ['cache', 'stats', '--json']);
  expect(after.hits! - before.hits!).toBe(4);
  expect(after.misses).toBe(before.misses);
  const oa = objects(a.root);
  const ob = objects(b.root);
  expect([...ob.keys()].sort()).toEqual([...oa.keys()].sort());
  for (const [k, v] of oa) expect(ob.get(k)!.equals(v), k).toBe(true);
});
