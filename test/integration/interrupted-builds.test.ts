// Killing a build half-way must never leave an object that looks up to date:
// Ctrl-C of `compile` through the daemons cancels the build and its compilers;
// SIGKILL of an in-process build leaves only temp files, swept later.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { StatusReport } from '../../protocol/status.js';
import { CLI, cliSync, objects, waitFor, type TestProject, projectsPerTest, dropState } from '../helpers/project.js';

const project = projectsPerTest();

/** Four slow TUs (std::regex), so a signal lands while compilers run. */
function slowProject(): TestProject {
  const files: Record<string, string> = {
    'src/main.cpp': '#include <cstdio>\n' + [0, 1, 2, 3].map((i) => `int f${i}();\n`).join('') + 'int main() { std::printf("%d\\n", f0() + f1() + f2() + f3()); }\n',
  };
  for (let i = 0; i < 4; i++) {
    files[`src/f${i}.cpp`] = `#include <regex>\n#include <string>\nint f${i}() { std::regex r("a+b*${i}"); return std::regex_match(std::string("aab"), r) ? 0 : ${i + 1}; }\n`;
  }
  const p = project(files);
  return p;
}

function compilersRunning(p: TestProject): boolean {
  return existsSync(join(p.root, '.replibuild/pids/compilation.children.json'));
}

it('Ctrl-C of compile through the daemons cancels the build; the next one is right', async () => {
  const p = slowProject();
  expect(cliSync(['start'], p).code).toBe(0);
  const child = spawn(process.execPath, [CLI, 'compile'], { cwd: p.root, env: p.env });
  await waitFor(() => compilersRunning(p), 30_000, 'compilers to start');
  child.kill('SIGINT');
  const code = await new Promise((r) => child.on('close', r));
  expect(code).not.toBe(0);
  // The daemon stops the build's compilers once the client has gone.
  await waitFor(() => !compilersRunning(p), 15_000, 'the cancelled compilers to be gone');
  const st = JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
  expect(st.all_running).toBe(true);
  const r = cliSync(['compile', '--json'], p);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).failed).toBe(0);
  expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('10\n');
}, 120_000);

it('SIGKILL of an in-process build: no half object at a final path, the next build is right', async () => {
  const p = slowProject();
  const child = spawn(process.execPath, [CLI, 'compile', '--no-daemon'], { cwd: p.root, env: p.env, detached: false });
  const objDir = join(p.root, 'build/obj/app/src');
  await waitFor(() => existsSync(objDir) && readdirSync(objDir).some((f) => f.includes('.tmp-')), 30_000, 'a compile to be writing');
  child.kill('SIGKILL');
  await new Promise((r) => child.on('close', r));
  // Final names hold only complete objects: every .o there is one the compiler finished.
  for (const f of readdirSync(objDir).filter((x) => x.endsWith('.o'))) {
    // (main.cpp may be done first: it does not wait for the PCH the other TUs share.)
    expect(execFileSync('nm', [join(objDir, f)], { encoding: 'utf8' })).toMatch(f === 'main.cpp.o' ? / T main$/m : / T _Z\d*f\di/);
  }
  const r = cliSync(['compile', '--json', '--no-daemon'], p);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout).failed).toBe(0);
  expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe('10\n');
  // The orphaned compilers' temps are swept once their writers are gone.
  await waitFor(
    () => {
      cliSync(['compile', '--no-daemon'], p);
      return !readdirSync(objDir).some((f) => f.includes('.tmp-'));
    },
    60_000,
    'temp files of the killed build to be swept',
  );
}, 180_000);

it('SIGKILL of a warm clean rebuild while it restores from the cache: no half object at a final path, none trusted later', async () => {
  // Big objects (16 MB of data each, assembled in with .incbin), so a restore takes long enough to land in.
  const n = 8;
  const files: Record<string, string> = {
    'src/main.cpp': '#include <cstdio>\n' + Array.from({ length: n }, (_, i) => `int f${i}();\n`).join('') +
      `int main() { std::printf("%d\\n", ${Array.from({ length: n }, (_, i) => `f${i}()`).join(' + ')}); }\n`,
  };
  for (let i = 0; i < n; i++) {
    files[`src/b${i}.cpp`] =
      `asm(".section .rodata\\n.global blob${i}\\nblob${i}:\\n.incbin \\"data/b${i}.bin\\"\\n.previous\\n");\n` +
      `extern "C" const unsigned char blob${i}[];\nint f${i}() { return blob${i}[0] == ${i} ? 1 : 0; }\n`;
  }
  const p = project(files);
  mkdirSync(join(p.root, 'data'));
  for (let i = 0; i < n; i++) {
    const data = randomBytes(16 << 20);
    data[0] = i;
    writeFileSync(join(p.root, `data/b${i}.bin`), data);
  }
  await new Promise((r) => setTimeout(r, 200)); // sources older than the cache's racy margin: stored
  const cold = cliSync(['compile', '--json', '--no-daemon'], p);
  expect(cold.code, cold.stderr).toBe(0);
  expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe(`${n}\n`);
  const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex');
  const want = new Map([...objects(p.root)].map(([k, v]) => [k, digest(v)]));
  expect(want.size).toBe(n + 1);

  rmSync(join(p.root, 'build'), { recursive: true });
  dropState(p.root);
  const child = spawn(process.execPath, [CLI, 'compile', '--no-daemon'], { cwd: p.root, env: p.env });
  const closed = new Promise((r) => child.on('close', r));
  const objDir = join(p.root, 'build/obj/app/src');
  // Polled every millisecond (a restore of one object takes some): killed while a restore's temp file is there.
  let caught = false;
  for (const end = Date.now() + 60_000; !caught && Date.now() < end && child.exitCode === null; ) {
    caught = existsSync(objDir) && readdirSync(objDir).some((f) => f.includes('.tmp-'));
    if (!caught) await new Promise((r) => setTimeout(r, 1));
  }
  child.kill('SIGKILL');
  await closed;
  expect(caught, 'the build was killed while it restored an object').toBe(true);

  // Whatever sits at a final name is a whole object, the cold build's own bytes.
  const left = objects(p.root);
  for (const [rel, bytes] of left) expect(digest(bytes), rel).toBe(want.get(rel));
  // The next build restores the rest; nothing half-written is taken as built.
  const r = cliSync(['compile', '--json', '--no-daemon'], p);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, failed: 0, compiled: 0 });
  expect(new Map([...objects(p.root)].map(([k, v]) => [k, digest(v)]))).toEqual(want);
  expect(execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' })).toBe(`${n}\n`);
  const v = cliSync(['cache', 'verify'], p);
  expect(v.code).toBe(0);
  expect(v.stdout).toMatch(/removed 0 bad ones/);
}, 180_000);
