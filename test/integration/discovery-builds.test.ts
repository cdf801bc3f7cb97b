// Issue 5 through real daemons: builds planned from the discovery journal see
// every edit, ignore touches, catch shadowing headers and config edits, and
// survive restarts; `replibuild watch` rebuilds on save.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DaemonChannel, RemoteOrchestrator } from '../../daemons/host/daemon-channel.js';
import type { BuildSummary } from '../../protocol/build.js';
import type { StatusReport } from '../../protocol/status.js';
import { CLI, cliSync, waitFor, type TestProject, projectsPerTest } from '../helpers/project.js';

const newProject = projectsPerTest();
function project(files: Record<string, string>): TestProject {
  const p = newProject(files);
  expect(cliSync(['start'], p).code).toBe(0);
  return p;
}

function compile(p: TestProject, extra: string[] = []): BuildSummary & { code: number } {
  const r = cliSync(['compile', '--json', ...extra], p);
  expect(r.stdout.trim().split('\n').length, r.stderr).toBe(1);
  return { ...(JSON.parse(r.stdout) as BuildSummary), code: r.code };
}

function status(p: TestProject): StatusReport {
  return JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
}

const run = (p: TestProject, bin = 'build/bin/app') => execFileSync(join(p.root, bin), { encoding: 'utf8' });

describe('builds planned from the discovery journal', () => {
  it('200 rounds of edit-then-compile-at-once miss no edit', async () => {
    const p = project({
      'replibuild.toml': '[project]\nname = "r"\n\n[targets.v]\nkind = "static"\nsources = ["lib/*.cpp"]\ninclude_dirs = ["include"]\n',
      'lib/v.cpp': '#include "v.h"\nint v() { return V0 + 0; }\n',
      'include/v.h': '#pragma once\n#define V0 0\n',
    });
    const ch = new DaemonChannel(p.root, 'orchestrator');
    const orch = new RemoteOrchestrator(ch);
    const req = { targets: [], jobs: 0, keep_going: false, verbose: false };
    try {
      expect((await orch.build(req, () => {})).compiled).toBe(1);
      for (let i = 1; i <= 200; i++) {
        // Alternate between the source and the header it includes; the request goes out at once.
        if (i % 2) p.write('lib/v.cpp', `#include "v.h"\nint v() { return V0 + ${i}; }\n`);
        else p.write('include/v.h', `#pragma once\n#define V0 ${i}\n`);
        const s = await orch.build(req, () => {});
        // Compiled, or restored: a compile of this very text ahead of the build that the build
        // could not take (compile-ahead.ts) has stored it in the cache.
        expect(s, `round ${i}: ${JSON.stringify(s)}`).toMatchObject({ ok: true, linked: 1 });
        expect(s.compiled + s.cached, `round ${i}: ${JSON.stringify(s)}`).toBe(1);
      }
    } finally {
      ch.close();
    }
  }, 240_000);

  it('a no-op takes the journal fast path; a touch rebuilds nothing; status shows files and epoch', () => {
    const p = project({});
    expect(compile(p)).toMatchObject({ compiled: 1, linked: 1 });
    const noops = () => status(p).daemons.find((d) => d.name === 'orchestrator')!.details.noop_builds as number;
    const before = noops();
    expect(compile(p)).toMatchObject({ compiled: 0, linked: 0, upToDate: 1 });
    expect(noops()).toBe(before + 1);
    const now = new Date();
    utimesSync(join(p.root, 'src/main.cpp'), now, now);
    expect(compile(p)).toMatchObject({ compiled: 0, linked: 0 });
    const disc = status(p).daemons.find((d) => d.name === 'discovery')!;
    expect(disc.details.watched_files).toBeGreaterThan(0);
    expect(typeof disc.details.epoch).toBe('number');
  });

  it('a new header earlier in the include path shadows the one in use', () => {
    const p = project({
      'replibuild.toml': '[project]\nname = "s"\n\n[compiler]\ninclude_dirs = ["b", "a"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n',
      'a/foo.h': '#define FOO "a"\n',
      'b/keep.txt': '',
      'src/main.cpp': '#include <cstdio>\n#include "foo.h"\nint main() { std::puts(FOO); }\n',
    });
    expect(compile(p)).toMatchObject({ compiled: 1 });
    expect(run(p)).toBe('a\n');
    p.write('b/foo.h', '#define FOO "b"\n');
    expect(compile(p)).toMatchObject({ compiled: 1, cached: 0, failed: 0 });
    expect(run(p)).toBe('b\n');
    // Back to a/foo.h: the first object is in the cache, and right again.
    rmSync(join(p.root, 'b/foo.h'));
    const back = compile(p);
    expect(back.compiled + back.cached).toBe(1);
    expect(run(p)).toBe('a\n');
  });

  it('replibuild.toml edits (a new target, a define) and new sources take effect without a restart', () => {
    const p = project({});
    expect(compile(p).compiled).toBe(1);
    p.write('tools/tool.cpp', '#include <cstdio>\nint main() { std::printf("%d\\n", LEVEL); }\n');
    p.write('replibuild.toml', p.read('replibuild.toml') + '\n[targets.tool]\nkind = "executable"\nsources = ["tools/*.cpp"]\ndefines = ["LEVEL=3"]\n');
    expect(compile(p)).toMatchObject({ compiled: 1, linked: 1 });
    expect(run(p, 'build/bin/tool')).toBe('3\n');
    p.write('replibuild.toml', p.read('replibuild.toml').replace('LEVEL=3', 'LEVEL=4'));
    expect(compile(p)).toMatchObject({ compiled: 1 });
    expect(run(p, 'build/bin/tool')).toBe('4\n');
    // A new file that the glob matches joins the build.
    p.write('tools/extra.cpp', 'int extra() { return 1; }\n');
    expect(compile(p)).toMatchObject({ compiled: 1, linked: 1 });
    // A daemon_config.toml edit reaches setup too: a bad key is reported at once.
    p.write('.replibuild/daemon_config.toml', p.read('.replibuild/daemon_config.toml').replace('[daemons.orchestrator]\n', '[daemons.orchestrator]\nbogus_key = 1\n'));
    const r = cliSync(['compile'], p);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/daemon_config\.toml:\d+:\d+: error: .*bogus_key/);
  });

  it('after a restart, discovery finds what changed while it was down', () => {
    const p = project({
      'src/a.cpp': 'int a() { return 1; }\n',
      'src/main.cpp': '#include <cstdio>\nint a();\nint main() { std::printf("%d\\n", a()); }\n',
    });
    expect(compile(p).compiled).toBe(2);
    expect(cliSync(['stop'], p).code).toBe(0);
    p.write('src/a.cpp', 'int a() { return 2; }\n');
    expect(cliSync(['start'], p).code).toBe(0);
    expect(compile(p)).toMatchObject({ compiled: 1, upToDate: 1 });
    expect(run(p)).toBe('2\n');
    expect(compile(p)).toMatchObject({ compiled: 0 });
  });
});

describe('replibuild watch', () => {
  it('rebuilds on save and leaves the daemons running on Ctrl-C', async () => {
    const p = project({ 'src/main.cpp': '#include <cstdio>\nint main() { std::puts("one"); }\n' });
    const child = spawn(process.execPath, [CLI, 'watch'], { cwd: p.root, env: p.env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      await waitFor(() => /Complete/.test(out), 30_000, 'the first build');
      p.write('src/main.cpp', '#include <cstdio>\nint main() { std::puts("two"); }\n');
      await waitFor(() => (out.match(/Complete/g) ?? []).length >= 2, 30_000, 'the rebuild after a save');
      expect(out).toMatch(/change seen/);
      expect(run(p)).toBe('two\n');
    } finally {
      child.kill('SIGINT');
    }
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(status(p).all_running).toBe(true);
    expect(readFileSync(join(p.root, 'src/main.cpp'), 'utf8')).toContain('two');
  }, 90_000);
});
