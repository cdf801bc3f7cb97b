// Objects kept as content files of their own and restored by a kernel copy
// (result-store.ts, object-files.ts), through real daemons: a restored object is the
// build's own file (editing it in place never reaches the cache), and a damaged content
// file (a flipped byte, a truncation) is never restored, even by a daemon that checked
// it fully on an earlier hit (its stamp moved).

import { appendFileSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { contentKept, digest, flipMiddleByte, objectContent, truncateHalf } from '../helpers/cache-content.js';
import { cliSync, compileJson, objects, projectsPerTest, type TestProject, dropState } from '../helpers/project.js';

const project = projectsPerTest();
const N = 4;

/** N TUs whose values add up to what the program prints (N*(N+1)/2 + 100); f0 and f1
 *  carry 200 KB of data, so their objects are copied in the kernel, f2 and f3 are small
 *  (read and written: object-files.ts, INLINE_MAX_BYTES). */
async function fourTus(): Promise<TestProject> {
  const files: Record<string, string> = {
    'src/main.cpp':
      '#include <cstdio>\n' + Array.from({ length: N }, (_, i) => `int f${i}();\n`).join('') +
      `int main() { std::printf("%d\\n", ${Array.from({ length: N }, (_, i) => `f${i}()`).join(' + ')} + 100); }\n`,
  };
  for (let i = 0; i < N; i++) {
    const big = i < 2 ? `extern const char big${i}[200000];\nconst char big${i}[200000] = {${i + 1}};\n` : '';
    files[`src/f${i}.cpp`] = `${big}int f${i}() { return ${i + 1}; }\n`;
  }
  const p = project(files);
  await new Promise((r) => setTimeout(r, 200)); // sources older than the cache's racy margin: stored
  return p;
}

const EXPECTED = `${(N * (N + 1)) / 2 + 100}\n`;

function cleanRebuild(p: TestProject) {
  rmSync(join(p.root, 'build'), { recursive: true, force: true });
  dropState(p.root);
  return compileJson(p);
}

const run = (p: TestProject) => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });

it('restored objects are copies: appended to and truncated in place, the cache keeps its bytes (daemons)', async () => {
  const p = await fourTus();
  expect(cliSync(['start'], p).code).toBe(0);
  expect(compileJson(p)).toMatchObject({ compiled: N + 1, failed: 0 });
  const want = new Map([...objects(p.root)].map(([k, v]) => [k, digest(v)]));
  expect(cleanRebuild(p)).toMatchObject({ compiled: 0, cached: N + 1, failed: 0 });
  // Each object is a content file of its own, holding exactly the compiler's bytes.
  const content = await objectContent(p);
  for (const d of want.values()) expect(content.has(d)).toBe(true);
  const intact = await contentKept(p);

  const objs = [...objects(p.root).keys()];
  // In place, through the restored file's own inode, as an in-place tool would.
  appendFileSync(join(p.root, objs[0]!), 'appended after the restore');
  truncateSync(join(p.root, objs[1]!), 10);
  writeFileSync(join(p.root, objs[2]!.replace(/\.o$/, '.d')), 'overwritten:\n');
  await intact();

  expect(cleanRebuild(p)).toMatchObject({ compiled: 0, cached: N + 1, failed: 0 });
  expect(new Map([...objects(p.root)].map(([k, v]) => [k, digest(v)]))).toEqual(want);
  expect(run(p)).toBe(EXPECTED);
  await intact();
  const v = cliSync(['cache', 'verify'], p);
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout).toMatch(/removed 0 bad ones/);
}, 120_000);

it('a flipped byte or a truncation in an object content file is a miss and a recompile, even after a hit checked it (daemons)', async () => {
  const p = await fourTus();
  expect(cliSync(['start'], p).code).toBe(0);
  expect(compileJson(p)).toMatchObject({ compiled: N + 1, failed: 0 });
  const want = objects(p.root);
  // A hit first: the daemon checks each content file fully and remembers its stamp.
  expect(cleanRebuild(p)).toMatchObject({ compiled: 0, cached: N + 1 });

  const content = await objectContent(p);
  const file = (tu: string) => content.get(digest(want.get(`build/obj/app/src/${tu}.cpp.o`)!))!;
  expect(readFileSync(file('f0')).length).toBeGreaterThan(200_000);
  expect(readFileSync(file('f3')).length).toBeLessThan(64 * 1024);
  flipMiddleByte(file('f0'));
  flipMiddleByte(file('f3'));
  truncateHalf(file('f1'));

  const r = cleanRebuild(p);
  expect(r).toMatchObject({ compiled: 3, cached: N - 2, failed: 0 });
  // The recompiled objects are the compiler's, not the damaged bytes.
  for (const [k, v] of objects(p.root)) expect(digest(v), k).toBe(digest(want.get(k)!));
  expect(run(p)).toBe(EXPECTED);
  const stats = JSON.parse(cliSync(['cache', 'stats', '--json'], p).stdout);
  expect(stats.errors).toBeGreaterThanOrEqual(3);
  // Stored again, sound: the next rebuild is all hits and verify finds nothing.
  expect(cleanRebuild(p)).toMatchObject({ compiled: 0, cached: N + 1, failed: 0 });
  expect(run(p)).toBe(EXPECTED);
  const v = cliSync(['cache', 'verify'], p);
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout).toMatch(/removed 0 bad ones/);
}, 120_000);

it('cache verify finds a damaged object content file and removes its result (no daemons)', async () => {
  const p = await fourTus();
  expect(compileJson(p, ['--no-daemon'])).toMatchObject({ compiled: N + 1, failed: 0 });
  const want = objects(p.root);
  const content = await objectContent(p);
  const victim = content.get(digest(want.get('build/obj/app/src/f0.cpp.o')!))!;
  flipMiddleByte(victim);
  const v = cliSync(['cache', 'verify'], p);
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout).toMatch(/removed 1 bad ones/);
  rmSync(join(p.root, 'build'), { recursive: true });
  dropState(p.root);
  expect(compileJson(p, ['--no-daemon'])).toMatchObject({ compiled: 1, cached: N, failed: 0 });
  expect(run(p)).toBe(EXPECTED);
}, 120_000);
