// Link outputs kept as content files of their own and restored by a kernel copy
// (link-cache.ts, stored-objects.ts), through real daemons: a restored executable or
// archive is the build's own file (editing it in place never reaches the cache), and a
// damaged content file (a flipped byte, a truncation) is a relink, never a wrong output,
// even in a daemon that checked it fully on an earlier hit (its stamp moved).

import { appendFileSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { BuildState } from '../../daemons/orchestrator/build-state.js';
import { contentKept, digest, flipMiddleByte, objectContent, truncateHalf } from '../helpers/cache-content.js';
import { cliSync, compileJson, projectsPerTest, type TestProject, dropState } from '../helpers/project.js';

const project = projectsPerTest();

// libbig.a and app carry 200 KB of data: copied in the kernel. libtiny.a is small: read,
// checked in full and written (object-files.ts, INLINE_MAX_BYTES).
const OUTPUTS = ['build/bin/app', 'build/lib/libbig.a', 'build/lib/libtiny.a'];
const EXPECTED = '108\n';

async function threeTargets(): Promise<TestProject> {
  const p = project({
    'replibuild.toml': `[project]
name = "l"

[targets.big]
kind = "static"
sources = ["big/*.cpp"]

[targets.tiny]
kind = "static"
sources = ["tiny/*.cpp"]

[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
deps = ["big", "tiny"]
`,
    'big/b.cpp': 'extern const char big[200000];\nconst char big[200000] = {7};\nint b() { return big[0] + 100; }\n',
    'tiny/t.cpp': 'int t() { return 1; }\n',
    'src/main.cpp': '#include <cstdio>\nint b();\nint t();\nint main() { std::printf("%d\\n", b() + t()); }\n',
  });
  await new Promise((r) => setTimeout(r, 200)); // sources older than the cache's racy margin: stored
  return p;
}

const outputs = (p: TestProject) => new Map(OUTPUTS.map((o) => [o, digest(readFileSync(join(p.root, o)))]));
const run = (p: TestProject) => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });

/** A build (`compile`, its text output): whether each output linked was restored. */
function build(p: TestProject, args: string[] = []): Map<string, boolean> {
  const r = cliSync(['compile', ...args], p);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  const out = new Map<string, boolean>();
  for (const m of r.stdout.matchAll(/^Linking\.\.\. (\S+)( \(from cache\))? \(/gm)) out.set(m[1]!, m[2] !== undefined);
  return out;
}

function cleanRebuild(p: TestProject, args: string[] = []): Map<string, boolean> {
  rmSync(join(p.root, 'build'), { recursive: true, force: true });
  dropState(p.root);
  return build(p, args);
}

function verifyClean(p: TestProject): void {
  const v = cliSync(['cache', 'verify'], p);
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout).toMatch(/removed 0 bad ones/);
}

const allCached = new Map(OUTPUTS.map((o) => [o, true]));

it('restored link outputs are copies: appended to and truncated in place, the cache keeps their bytes (daemons)', async () => {
  const p = await threeTargets();
  expect(cliSync(['start'], p).code).toBe(0);
  expect(compileJson(p)).toMatchObject({ compiled: 3, linked: 3, failed: 0 });
  const want = outputs(p);
  expect(cleanRebuild(p)).toEqual(allCached);
  expect(outputs(p)).toEqual(want);
  // Each output is a content file of its own, holding exactly the tool's bytes.
  const content = await objectContent(p);
  for (const d of want.values()) expect(content.has(d)).toBe(true);
  const intact = await contentKept(p);

  // In place, through the restored files' own inodes, as an in-place tool would.
  appendFileSync(join(p.root, 'build/bin/app'), 'appended after the restore');
  truncateSync(join(p.root, 'build/lib/libbig.a'), 10);
  truncateSync(join(p.root, 'build/lib/libtiny.a'), 8);
  await intact();

  expect(cleanRebuild(p)).toEqual(allCached);
  expect(outputs(p)).toEqual(want);
  expect(run(p)).toBe(EXPECTED);
  await intact();
  verifyClean(p);
}, 120_000);

it('a flipped byte or a truncation in a link output content file is a miss and a relink, even after a hit checked it (daemons)', async () => {
  const p = await threeTargets();
  expect(cliSync(['start'], p).code).toBe(0);
  expect(compileJson(p)).toMatchObject({ compiled: 3, linked: 3, failed: 0 });
  const want = outputs(p);
  // A hit first: the daemon checks each content file fully and remembers its stamp.
  expect(cleanRebuild(p)).toEqual(allCached);

  const content = await objectContent(p);
  const file = (o: string) => content.get(want.get(o)!)!;
  expect(readFileSync(file('build/bin/app')).length).toBeGreaterThan(200_000);
  expect(readFileSync(file('build/lib/libtiny.a')).length).toBeLessThan(64 * 1024);
  flipMiddleByte(file('build/bin/app'));
  flipMiddleByte(file('build/lib/libtiny.a'));
  truncateHalf(file('build/lib/libbig.a'));

  expect(cleanRebuild(p)).toEqual(new Map(OUTPUTS.map((o) => [o, false])));
  // The relinked outputs are the tools', not the damaged bytes.
  expect(outputs(p)).toEqual(want);
  expect(run(p)).toBe(EXPECTED);
  const stats = JSON.parse(cliSync(['cache', 'stats', '--json'], p).stdout);
  expect(stats.errors).toBeGreaterThanOrEqual(3);
  // Stored again, sound: the next rebuild restores every output and verify finds nothing.
  expect(cleanRebuild(p)).toEqual(allCached);
  expect(outputs(p)).toEqual(want);
  expect(run(p)).toBe(EXPECTED);
  verifyClean(p);
}, 120_000);

it('cache verify finds a damaged link output content file and removes its link (no daemons)', async () => {
  const p = await threeTargets();
  expect(compileJson(p, ['--no-daemon'])).toMatchObject({ compiled: 3, linked: 3, failed: 0 });
  const want = outputs(p);
  const victim = (await objectContent(p)).get(want.get('build/bin/app')!)!;
  flipMiddleByte(victim);
  const v = cliSync(['cache', 'verify'], p);
  expect(v.code, v.stderr).toBe(0);
  expect(v.stdout).toMatch(/removed 1 bad ones/);
  expect(cleanRebuild(p, ['--no-daemon'])).toEqual(new Map([...allCached, ['build/bin/app', false]]));
  expect(outputs(p)).toEqual(want);
  expect(run(p)).toBe(EXPECTED);
  // The build state records each output's true hash: for the restored ones, the hash
  // their results carry (output-hashes.ts), for the relinked one, read.
  const state = await BuildState.load(p.root);
  for (const [target, o] of [['big', 'build/lib/libbig.a'], ['tiny', 'build/lib/libtiny.a'], ['app', 'build/bin/app']] as const) {
    expect(state.getLink(target)?.output_hash, o).toBe(want.get(o));
  }
}, 120_000);
