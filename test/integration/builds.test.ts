// Issue 3: `replibuild compile` through real daemons and in-process, with the
// real g++ (and clang++), on temp projects. Counts come from --json summaries.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import type { BuildSummary } from '../../protocol/build.js';
import { COMPILERS, withCompilers } from '../helpers/compilers.js';
import { compileJson as compileJsonOf, type CompileJson, CLI, REPO, cli, cliSync, pidAlive, readRecordFile, waitFor, type TestProject, projectsPerTest } from '../helpers/project.js';

const project = projectsPerTest();

type Summary = BuildSummary;

/** --json prints exactly one line, the summary. */
function compileJson(p: TestProject, extra: string[] = []): CompileJson {
  const r = compileJsonOf(p, extra);
  expect(r.stdout.trim().split('\n').length, `stdout must be one JSON object, got: ${r.stdout}\nstderr: ${r.stderr}`).toBe(1);
  return r;
}

/** n TUs; TUs 0..k-1 include common.h, every TU includes config.h. */
function multiProject(n: number, k: number): Record<string, string> {
  const files: Record<string, string> = {
    'replibuild.toml': `[project]\nname = "multi"\n\n[compiler]\ninclude_dirs = ["include"]\ndefines = ["MODE=1"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n`,
    'include/common.h': '#pragma once\ninline int common() { return 1; }\n',
    'include/config.h': '#pragma once\n#ifndef MODE\n#define MODE 0\n#endif\n',
  };
  const calls: string[] = [];
  for (let i = 0; i < n; i++) {
    const inc = i < k ? '#include "common.h"\n' : '';
    const body = i < k ? 'common()' : '0';
    files[`src/f${i}.cpp`] = `#include "config.h"\n${inc}int f${i}() { return ${body} + MODE; }\n`;
    calls.push(`f${i}()`);
  }
  files['src/main.cpp'] =
    '#include <cstdio>\n#include "config.h"\n' +
    Array.from({ length: n }, (_, i) => `int f${i}();\n`).join('') +
    `int main() { std::printf("mode=%d sum=%d\\n", MODE, ${calls.join(' + ')}); return 0; }\n`;
  return files;
}

function runBinary(p: TestProject, rel: string): string {
  return execFileSync(join(p.root, rel), { encoding: 'utf8' });
}

// Through the daemons under each compiler (depfiles, diagnostics); in-process under the first.
const RUNS = [...COMPILERS.map((c) => ['daemons', c] as const), ['no-daemon', COMPILERS[0]!] as const];

for (const [mode, compilers] of RUNS) {
  describe(`incremental builds (${mode}, ${compilers.name})`, () => {
    const flags = mode === 'no-daemon' ? ['--no-daemon'] : [];
    const withPair = (p: TestProject) => {
      p.env = withCompilers(p.env, compilers);
      return p;
    };
    const start = (p: TestProject) => {
      if (mode === 'daemons') expect(cliSync(['start'], p).code).toBe(0);
    };

    it('cold, no-op, one .cpp, a header in k TUs, touch, a define', () => {
      const p = withPair(project(multiProject(6, 3)));
      start(p);
      let s = compileJson(p, flags);
      expect(s.code, s.stderr).toBe(0);
      expect(s).toMatchObject({ compiled: 7, cached: 0, linked: 1, failed: 0 });
      expect(runBinary(p, 'build/bin/app')).toBe('mode=1 sum=9\n');

      s = compileJson(p, flags);
      expect(s).toMatchObject({ compiled: 0, cached: 0, upToDate: 7, linked: 0, failed: 0 });

      p.write('src/f5.cpp', readFileSync(join(p.root, 'src/f5.cpp'), 'utf8').replace('return 0 +', 'return 10 +'));
      s = compileJson(p, flags);
      expect(s).toMatchObject({ compiled: 1, upToDate: 6, linked: 1 });
      expect(runBinary(p, 'build/bin/app')).toBe('mode=1 sum=19\n');

      p.write('include/common.h', '#pragma once\ninline int common() { return 2; }\n');
      s = compileJson(p, flags);
      expect(s).toMatchObject({ compiled: 3, upToDate: 4, linked: 1 });
      expect(runBinary(p, 'build/bin/app')).toBe('mode=1 sum=22\n');

      // Same content, new mtime: nothing to do.
      p.write('include/common.h', '#pragma once\ninline int common() { return 2; }\n');
      p.write('src/f0.cpp', readFileSync(join(p.root, 'src/f0.cpp'), 'utf8'));
      s = compileJson(p, flags);
      expect(s).toMatchObject({ compiled: 0, linked: 0 });

      p.write('replibuild.toml', readFileSync(join(p.root, 'replibuild.toml'), 'utf8').replace('MODE=1', 'MODE=7'));
      s = compileJson(p, flags);
      expect(s).toMatchObject({ compiled: 7, linked: 1 });
      expect(runBinary(p, 'build/bin/app')).toBe('mode=7 sum=58\n');
    });

    it('a compile error: exit 1, a $gcc-shaped diagnostic, good objects kept', () => {
      const p = withPair(project(multiProject(3, 0)));
      start(p);
      expect(compileJson(p, flags).code).toBe(0);
      p.write('src/f1.cpp', 'int f1() {\n  return undefined_name;\n}\n');
      p.write('src/f2.cpp', '#include "config.h"\nint f2() { return 5 + MODE; }\n');
      const r = cliSync(['compile', ...flags], p);
      expect(r.code).toBe(1);
      // VSCode's $gcc matcher: ^(.*):(\d+):(\d+):\s+(?:fatal\s+)?(warning|error):\s+(.*)$
      const m = /^(.*):(\d+):(\d+):\s+(?:fatal\s+)?(warning|error):\s+(.*)$/m.exec(r.stderr);
      expect(m, r.stderr).not.toBeNull();
      expect(m![1]).toBe('src/f1.cpp');
      expect(m![2]).toBe('2');
      expect(r.stderr).toMatch(/Build failed/);
      // f2 compiled and recorded: fixing f1 compiles only f1.
      p.write('src/f1.cpp', 'int f1() { return 0; }\n');
      const s = compileJson(p, flags);
      expect(s).toMatchObject({ code: 0, compiled: 1, linked: 1 });
    });
  });
}

describe('builds across modes and processes', () => {
  it('--no-daemon shares the state the daemons wrote', () => {
    const p = project(multiProject(4, 2));
    expect(cliSync(['start'], p).code).toBe(0);
    expect(compileJson(p).compiled).toBe(5);
    expect(compileJson(p, ['--no-daemon'])).toMatchObject({ compiled: 0, upToDate: 5 });
    p.write('include/common.h', '#pragma once\ninline int common() { return 3; }\n');
    expect(compileJson(p, ['--no-daemon'])).toMatchObject({ compiled: 2 });
    expect(compileJson(p)).toMatchObject({ compiled: 0, upToDate: 5 });
    // CI=true runs in-process too.
    const ci = cliSync(['compile', '--json'], { ...p, env: { ...p.env, CI: 'true' } });
    expect(JSON.parse(ci.stdout)).toMatchObject({ compiled: 0 });
  });

  it('two compiles at once both succeed and no TU is compiled twice', async () => {
    const p = project(multiProject(8, 8));
    expect(cliSync(['start'], p).code).toBe(0);
    const [a, b] = await Promise.all([cli(['compile', '--json'], p), cli(['compile', '--json'], p)]);
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    const sa = JSON.parse(a.stdout) as Summary;
    const sb = JSON.parse(b.stdout) as Summary;
    expect(sa.compiled + sb.compiled).toBe(9);
    expect(runBinary(p, 'build/bin/app')).toBe('mode=1 sum=16\n');
  });

  it('kill -9 of the compilation daemon mid-build: the next build is correct and its compilers are reaped', async () => {
    // Slow TUs so the kill lands while compilers run.
    const files = multiProject(4, 0);
    for (let i = 0; i < 4; i++) {
      files[`src/f${i}.cpp`] = `#include <regex>\n#include <string>\n#include "config.h"\nint f${i}() { std::regex r("a+b*c?${i}"); return std::regex_match(std::string("aab"), r) ? 0 : 0; }\n`;
    }
    const p = project(files, DAEMON_NAMES.map((n) => `[daemons.${n}]\nport = 0\n${n === 'compilation' ? 'parallel_jobs = 1\n' : ''}`).join(''));
    expect(cliSync(['start'], p).code).toBe(0);
    const comp = readRecordFile(p.root, 'compilation')!;
    const childrenFile = join(p.root, '.replibuild/pids/compilation.children.json');
    const build = cli(['compile', '--json'], p);
    await waitFor(() => existsSync(childrenFile), 60_000, 'a compiler to start');
    const orphans = JSON.parse(readFileSync(childrenFile, 'utf8')) as { pid: number }[];
    process.kill(comp.pid, 'SIGKILL');
    // The orchestrator either fails the build or finishes it in-process; either way
    // the next build must be right.
    const first = await build;
    if (first.code === 0) expect(runBinary(p, 'build/bin/app')).toBe('mode=1 sum=0\n');
    // The next start reaps what the killed daemon left behind.
    const ensure = cliSync(['ensure'], p);
    expect(ensure.code, ensure.stderr).toBe(0);
    for (const o of orphans) await waitFor(() => !pidAlive(o.pid), 15_000, `orphan compiler ${o.pid} to be reaped`);
    const next = compileJson(p);
    expect(next.code, next.stderr).toBe(0);
    expect(next.failed).toBe(0);
    expect(runBinary(p, 'build/bin/app')).toBe('mode=1 sum=0\n');
    expect(compileJson(p)).toMatchObject({ compiled: 0, linked: 0 });
    // Temp outputs of the killed compilers were swept; none is at a final path.
    const objDir = join(p.root, 'build/obj/app/src');
    expect(readdirSync(objDir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 120_000);
});

describe('examples', () => {
  const expected: Record<string, [string, string]> = {
    hello: ['hello', 'Hello from replibuild!\n'],
    'static-lib': ['calc', 'mean=3 stddev=1.41421\n'],
    'shared-lib': ['greet', 'greeter says: hello, world\n'],
  };
  for (const [name, [bin, out]] of Object.entries(expected)) {
    it(`${name} builds and runs from its Makefile`, () => {
      const p = project({});
      cpSync(join(REPO, 'examples', name), p.root, { recursive: true });
      const make = (target: string) =>
        execFileSync('make', ['-s', target, `REPLIBUILD=${process.execPath} ${CLI}`], { cwd: p.root, env: p.env, encoding: 'utf8' });
      make('start-daemons');
      make('compile');
      expect(make('run')).toContain(out);
      expect(runBinary(p, `build/bin/${bin}`)).toBe(out);
      make('stop-daemons');
      for (const n of DAEMON_NAMES) expect(existsSync(join(p.root, `.replibuild/pids/${n}.pid`))).toBe(false);
    });
  }

  it('`replibuild run` passes stdio through and reports the exit code', async () => {
    const p = project({
      'src/main.cpp': '#include <iostream>\n#include <string>\nint main(int argc, char** argv) { std::string s; std::getline(std::cin, s); std::cout << s << ":" << argc - 1 << std::endl; return 3; }\n',
    });
    const child = spawn(process.execPath, [CLI, 'run', '--no-daemon', 'app', '--', 'x', 'y'], { cwd: p.root, env: p.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.stdin.end('typed\n');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(3);
    expect(stdout).toBe('typed:2\n');
    expect(stderr).toMatch(/exited with code 3 after \d+\.\d+s/);
  });

  it('`replibuild clean` removes outputs and state; the next build redoes every TU (from the cache)', () => {
    const p = project(multiProject(2, 0));
    expect(compileJson(p, ['--no-daemon']).compiled).toBe(3);
    expect(cliSync(['clean', '--no-daemon'], p).code).toBe(0);
    expect(existsSync(join(p.root, 'build'))).toBe(false);
    expect(existsSync(join(p.root, '.replibuild/state/build-state.json'))).toBe(false);
    const s = compileJson(p, ['--no-daemon']);
    expect(s.compiled + s.cached).toBe(3);
    expect(s.linked).toBe(1);
  });
});


describe('build events over the wire', () => {
  it('progress: false (what --json asks for) streams diagnostics only; the default streams every step', async () => {
    const { DaemonChannel, RemoteOrchestrator } = await import('../../daemons/host/daemon-channel.js');
    const p = project({
      'replibuild.toml': '[project]\nname = "t"\n\n[compiler]\nflags = ["-Wall"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n',
      'src/main.cpp': 'int main() { int unused = 1; return 0; }\n',
      'src/b.cpp': 'int b() { return 2; }\n',
    });
    expect(cliSync(['start'], p).code).toBe(0);
    const ch = new DaemonChannel(p.root, 'orchestrator');
    try {
      const orch = new RemoteOrchestrator(ch);
      const req = { targets: [], jobs: 0, keep_going: false, verbose: false };
      const quiet: string[] = [];
      const s1 = await orch.build({ ...req, progress: false }, (e) => quiet.push(e.type));
      expect(s1).toMatchObject({ ok: true, compiled: 2 });
      // The warning still arrives: a --json client prints diagnostics to stderr.
      expect(quiet).toEqual(['diagnostics']);
      expect(cliSync(['clean'], p).code).toBe(0);
      const all: string[] = [];
      await orch.build(req, (e) => all.push(e.type));
      expect(all.filter((t) => t === 'tu')).toHaveLength(2);
      expect(all).toContain('plan');
      expect(all).toContain('link');
      expect(all).toContain('diagnostics');
    } finally {
      ch.close();
    }
  });
});
