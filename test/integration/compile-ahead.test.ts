// Issue 16: a saved source is compiled before the build asks (compile-ahead.ts), and the
// build takes that compile only where it is the one it would have run. Each test makes
// the save, waits until the orchestrator has compiled it ahead (status: compile_ahead),
// then changes something the compile read or not, and checks what the build linked.
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../protocol/status.js';
import { cliSync, compileJson, projectsPerTest, waitFor, type TestProject } from '../helpers/project.js';
import { childrenOf, liveInGroups } from '../helpers/slow-compiler.js';

const newProject = projectsPerTest();
const run = (p: TestProject) => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });

type Ahead = { started: number; taken: number; dropped: number; running: number };
function ahead(p: TestProject): Ahead {
  const report = JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
  return report.daemons.find((d) => d.name === 'orchestrator')!.details.compile_ahead as Ahead;
}

/** Waits until `n` compiles have been started ahead in all, and none runs. */
async function compiledAhead(p: TestProject, n: number): Promise<Ahead> {
  let a = ahead(p);
  await waitFor(() => (a = ahead(p)).started >= n && a.running === 0, 20_000, `${n} compile(s) ahead`);
  return a;
}

const TOML = `[project]\nname = "e"\n\n[compiler]\ninclude_dirs = ["include"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n`;
const FILES = {
  'replibuild.toml': TOML,
  'src/main.cpp': '#include <cstdio>\nint a();\nint b();\nint main() { std::printf("%d %d\\n", a(), b()); }\n',
  'src/a.cpp': '#include "a.h"\nint a() { return A; }\n',
  'src/b.cpp': 'int b() { return 2; }\n',
  'include/a.h': '#define A 1\n',
};

/** g++, but slow (30 s, far past any test) while a file named `slow` is beside the project
 *  (not in it: a file added there is a change, and no save of sources alone). */
const SLOW_WHILE_MARKED = '#!/bin/sh\nfor a in "$@"; do if [ "$a" = "-c" ] && [ -e ../slow ]; then sleep 30; break; fi; done\nexec g++ "$@"\n';
const marker = (p: TestProject) => join(p.root, '..', 'slow');

async function built(daemonConfig = '', files: Record<string, string> = FILES): Promise<TestProject> {
  const p = newProject(files, daemonConfig);
  if (files['slow-cxx']) chmodSync(join(p.root, 'slow-cxx'), 0o755);
  expect(cliSync(['start'], p).code).toBe(0);
  expect(compileJson(p, [], { ok: true })).toMatchObject({ compiled: 3, linked: 1 });
  expect(ahead(p)).toEqual({ started: 0, taken: 0, dropped: 0, running: 0 });
  return p;
}

describe('compiling a saved source ahead of the build', () => {
  it('the build takes the compile it would have run, and reports it as compiled', async () => {
    const p = await built();
    p.write('src/b.cpp', 'int b() { return 20; }\n');
    await compiledAhead(p, 1);
    expect(compileJson(p, [], { ok: true })).toMatchObject({ compiled: 1, cached: 0, upToDate: 2, linked: 1 });
    expect(ahead(p)).toMatchObject({ started: 1, taken: 1, dropped: 0 });
    expect(run(p)).toBe('1 20\n');
    // What the build recorded of it holds: the next build has nothing to do.
    expect(compileJson(p, [], { ok: true })).toMatchObject({ compiled: 0, upToDate: 3, linked: 0 });
  });

  it('a header the compile read, changed after it began: the build compiles again', async () => {
    const p = await built();
    p.write('src/a.cpp', '#include "a.h"\nint a() { return A + 100; }\n');
    await compiledAhead(p, 1);
    p.write('include/a.h', '#define A 5\n');
    const r = compileJson(p, [], { ok: true });
    expect(r.compiled + r.cached).toBe(1);
    expect(ahead(p).taken).toBe(0);
    expect(run(p)).toBe('105 2\n');
  });

  it.each([
    ['the source saved again: what the build links is the last save', 'int b() { return 31; }\n', '1 31\n'],
    ['a save undone before the build: the object compiled ahead of it is not linked', FILES['src/b.cpp'], '1 2\n'],
  ])('%s', async (_what, last, output) => {
    const p = await built();
    p.write('src/b.cpp', 'int b() { return 30; }\n');
    await compiledAhead(p, 1);
    p.write('src/b.cpp', last);
    const r = compileJson(p, [], { ok: true });
    expect(r.failed).toBe(0);
    expect(run(p)).toBe(output);
    // What the build recorded holds: the next build has nothing to do.
    expect(compileJson(p, [], { ok: true })).toMatchObject({ compiled: 0, upToDate: 3 });
  });

  it('a compile ahead that fails: the build shows the compiler\'s diagnostics and fails', async () => {
    const p = await built();
    p.write('src/b.cpp', 'int b() { return nope; }\n');
    await compiledAhead(p, 1);
    const r = compileJson(p);
    expect(r).toMatchObject({ ok: false, failed: 1 });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/nope.*was not declared/);
    p.write('src/b.cpp', 'int b() { return 3; }\n');
    expect(compileJson(p, [], { ok: true })).toMatchObject({ failed: 0, linked: 1 });
    expect(run(p)).toBe('1 3\n');
  });

  it('a header saved: nothing is compiled ahead, the build weighs it', async () => {
    const p = await built();
    p.write('include/a.h', '#define A 7\n');
    // Past the quiet window the orchestrator looks within: a look that qualified would have started.
    await new Promise((r) => setTimeout(r, 300));
    expect(ahead(p).started).toBe(0);
    expect(compileJson(p, [], { ok: true })).toMatchObject({ compiled: 1, linked: 1 });
    expect(run(p)).toBe('7 2\n');
  });

  it('compile_ahead = false under [daemons.orchestrator]: nothing is compiled ahead', async () => {
    const ports = ['setup', 'discovery', 'compilation'].map((n) => `[daemons.${n}]\nport = 0\n`).join('');
    const p = await built(`${ports}[daemons.orchestrator]\nport = 0\ncompile_ahead = false\n`);
    p.write('src/b.cpp', 'int b() { return 50; }\n');
    await new Promise((r) => setTimeout(r, 300));
    expect(ahead(p).started).toBe(0);
    expect(compileJson(p, [], { ok: true })).toMatchObject({ compiled: 1, linked: 1 });
    expect(run(p)).toBe('1 50\n');
  });

  describe('while a compile ahead runs', () => {
    const slowFiles = { ...FILES, 'replibuild.toml': TOML.replace('[compiler]\n', '[compiler]\ncxx = "./slow-cxx"\n'), 'slow-cxx': SLOW_WHILE_MARKED };
    /** Its compiler's process groups, once one compile ahead is running. */
    async function runningAhead(p: TestProject, started: number): Promise<Set<number>> {
      await waitFor(() => ahead(p).started === started && ahead(p).running === 1, 20_000, 'a compile ahead running');
      let groups = new Set<number>();
      await waitFor(() => (groups = new Set(childrenOf(p, 'compilation').map((c) => c.pid))).size > 0, 10_000, 'its compiler on record');
      return groups;
    }

    it('a second save cancels it: its compiler is stopped, and the build links the last save', async () => {
      const p = await built('', slowFiles);
      writeFileSync(marker(p), '');
      p.write('src/b.cpp', 'int b() { return 60; }\n');
      const first = await runningAhead(p, 1);
      p.write('src/b.cpp', 'int b() { return 61; }\n');
      await waitFor(() => ahead(p).dropped === 1 && liveInGroups(first).length === 0, 20_000, 'the first compile ahead cancelled');
      rmSync(marker(p));
      // The second one sleeps too (it began while `slow` was there): the build waits for it, or
      // it was dropped in turn; either way what is linked is the last save.
      await waitFor(() => ahead(p).started === 2, 20_000, 'the second compile ahead');
      const second = new Set(childrenOf(p, 'compilation').map((c) => c.pid));
      cliSync(['stop'], p);
      expect(liveInGroups(second)).toEqual([]);
      expect(cliSync(['start'], p).code).toBe(0);
      expect(compileJson(p, [], { ok: true })).toMatchObject({ compiled: 1, linked: 1 });
      expect(run(p)).toBe('1 61\n');
    });
  });
});
