// Issue 10, item 6: faults that used to end in a stack trace. Each ends in one
// plain message, a build that is right where it can be finished, and an exit code
// that is not the internal-error 70. Real daemons, real g++, real hangs.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import { cli, cliSync, pidAlive, readRecordFile, waitFor, type CliResult, type TestProject, projectsPerTest } from '../helpers/project.js';
import { SLOW_CXX, childrenOf, liveInGroups } from '../helpers/slow-compiler.js';

const project = projectsPerTest();

const PORTS = (extra: Partial<Record<string, string>> = {}) =>
  DAEMON_NAMES.map((n) => `[daemons.${n}]\nport = 0\n${extra[n] ?? ''}`).join('');

/** No output of a named fault may carry a stack trace. */
function expectNoTrace(r: CliResult): void {
  expect(r.stdout + r.stderr).not.toContain('    at ');
  expect(r.stdout + r.stderr).not.toMatch(/internal error/);
}


/** Four TUs through the slow compiler; the program prints 10 only if every object is right. */
function slowProject(seconds: number, daemonExtra: Partial<Record<string, string>> = {}): TestProject {
  const files: Record<string, string> = {
    'replibuild.toml': '[project]\nname = "t"\n\n[compiler]\ncxx = "./slow-cxx"\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n',
    'slow-cxx': SLOW_CXX(seconds),
    'src/main.cpp': '#include <cstdio>\n' + [0, 1, 2, 3].map((i) => `int f${i}();\n`).join('') + 'int main() { std::printf("%d\\n", f0() + f1() + f2() + f3()); }\n',
  };
  for (let i = 0; i < 4; i++) files[`src/f${i}.cpp`] = `int f${i}() { return ${i + 1}; }\n`;
  const p = project(files, PORTS(daemonExtra));
  chmodSync(join(p.root, 'slow-cxx'), 0o755);
  return p;
}

function runApp(p: TestProject): string {
  return execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });
}


it('a: kill -9 of the orchestrator mid-build: one line says so, the build finishes in-process and is right, and so is the next', async () => {
  const p = slowProject(3);
  expect(cliSync(['start'], p).code).toBe(0);
  const orch = readRecordFile(p.root, 'orchestrator')!;
  const build = cli(['compile'], p);
  await waitFor(() => childrenOf(p, 'compilation').length > 0, 60_000, 'compilers to start');
  process.kill(orch.pid, 'SIGKILL');
  const r = await build;
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).toContain(`orchestrator daemon stopped during the build (pid ${orch.pid}); finishing in-process`);
  expectNoTrace(r);
  expect(runApp(p)).toBe('10\n');
  // Only complete objects at final paths: nm finds each TU's function in its object.
  const objDir = join(p.root, 'build/obj/app/src');
  for (let i = 0; i < 4; i++) expect(execFileSync('nm', [join(objDir, `f${i}.cpp.o`)], { encoding: 'utf8' })).toMatch(new RegExp(`T _Z2f${i}v`));
  const next = cliSync(['compile', '--json'], p);
  expect(next.code, next.stderr).toBe(0);
  expectNoTrace(next);
  expect(JSON.parse(next.stdout)).toMatchObject({ failed: 0, compiled: 0 });
  expect(runApp(p)).toBe('10\n');
}, 120_000);

it('b: --no-daemon with a malformed daemon_config.toml gives the file:line:col error the daemons give, and their exit code', async () => {
  const p = project({}, PORTS());
  expect(cliSync(['start'], p).code).toBe(0);
  p.write('.replibuild/daemon_config.toml', PORTS({ orchestrator: 'timeout = "soon"\n' }));
  const viaDaemons = cliSync(['compile'], p);
  const local = cliSync(['compile', '--no-daemon'], p);
  const diag = /^\S*daemon_config\.toml:\d+:\d+: error: .*timeout.*$/m;
  expect(viaDaemons.stderr).toMatch(diag);
  expect(local.stderr).toMatch(diag);
  expect(local.stderr.match(diag)![0]).toBe(viaDaemons.stderr.match(diag)![0]);
  expect(local.code).toBe(viaDaemons.code);
  expect(local.code).not.toBe(0);
  expect(local.code).not.toBe(70);
  expectNoTrace(local);
  // A TOML syntax error too (no daemons involved at all).
  cliSync(['stop'], p);
  p.write('.replibuild/daemon_config.toml', '[daemons.orchestrator]\ntimeout = "unterminated\n');
  const syntax = cliSync(['compile', '--no-daemon'], p);
  expect(syntax.stderr).toMatch(/daemon_config\.toml:2:\d+: error: TOML syntax error/);
  expect(syntax.code).toBe(local.code);
  expectNoTrace(syntax);
}, 60_000);

it('c: a missing compiler through the daemons is a plain message naming it and its replibuild.toml line, exit as a config error', async () => {
  const p = project({ 'replibuild.toml': '[project]\nname = "t"\n[compiler]\ncxx = "no-such-cxx-4242"\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n' }, PORTS());
  expect(cliSync(['start'], p).code).toBe(0);
  // What a config error exits with through the daemons, for comparison.
  p.write('.replibuild/daemon_config.toml', PORTS({ orchestrator: 'timeout = "soon"\n' }));
  const configError = cliSync(['compile'], p);
  p.write('.replibuild/daemon_config.toml', PORTS());
  for (const args of [['compile'], ['compile', '--no-daemon']]) {
    const r = cliSync(args, p);
    expect(r.code, r.stderr).toBe(configError.code);
    expect(r.code).not.toBe(0);
    expectNoTrace(r);
    expect(r.stderr).toMatch(/replibuild\.toml:4:7: error: \[compiler\] cxx = "no-such-cxx-4242": not found on PATH$/m);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(r.stderr).toMatch(/Build failed.*compiler "no-such-cxx-4242" not found: not on PATH \(it is \[compiler\] cxx in replibuild\.toml, line 4\)/);
  }
}, 60_000);

it('d: a compiler that hangs on --version or -dumpfullversion is stopped at the build timeout, and the message names that step', async () => {
  for (const [hangOn, answer] of [
    ['--version', ''],
    ['-dumpfullversion', 'case "$1" in -dumpfullversion) ;; *) exec g++ "$@" ;; esac\n'],
  ] as const) {
    // Records its pid and its child's, so the test can see both end (and end them if not).
    const script = `#!/bin/sh\n${answer}echo $$ >> "$(dirname "$0")/probe.pids"\nsleep 60 &\necho $! >> "$(dirname "$0")/probe.pids"\nwait\n`;
    const p = project(
      { 'replibuild.toml': '[project]\nname = "t"\n[compiler]\ncxx = "./hang-cxx"\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n', 'hang-cxx': script },
      PORTS({ orchestrator: 'timeout = 2\n' }),
    );
    chmodSync(join(p.root, 'hang-cxx'), 0o755);
    const pidsFile = join(p.root, 'probe.pids');
    const probePids = () => (existsSync(pidsFile) ? readFileSync(pidsFile, 'utf8').trim().split('\n').map(Number) : []);
    try {
      expect(cliSync(['start'], p).code).toBe(0);
      for (const args of [['compile'], ['compile', '--no-daemon']]) {
        const t0 = Date.now();
        const r = await cli(args, p);
        // A correctness bound, not a timing: the probe's own limit is 2 s, the old one 30 s.
        expect(Date.now() - t0).toBeLessThan(20_000);
        expect(r.code, r.stderr).toBe(1);
        expectNoTrace(r);
        expect(r.stderr).toContain(`hang-cxx ${hangOn}\` did not finish within 2 s`);
        expect(r.stderr).toMatch(/timed out identifying the compiler/);
        expect(r.stderr).not.toContain('no compile or link finished');
        // The probe's whole process group was ended: the script and its sleep.
        await waitFor(() => probePids().every((pid) => !pidAlive(pid)), 10_000, `probe processes ${probePids()} to end`);
      }
    } finally {
      for (const pid of probePids()) {
        if (pidAlive(pid) && /hang-cxx|sleep/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'))) process.kill(pid, 'SIGKILL');
      }
    }
  }
}, 120_000);

it('e: kill -9 of the compilation daemon mid-build: its compilers are reaped before the fallback compiles, and the build is right', async () => {
  const p = slowProject(8, { compilation: 'parallel_jobs = 2\n' });
  expect(cliSync(['start'], p).code).toBe(0);
  const comp = readRecordFile(p.root, 'compilation')!;
  const build = cli(['compile', '--json'], p);
  await waitFor(() => childrenOf(p, 'compilation').length >= 2, 60_000, 'two compilers to start');
  const orphans = childrenOf(p, 'compilation');
  const groups = new Set(orphans.map((c) => c.pid));
  expect(liveInGroups(groups).length).toBeGreaterThan(0);
  process.kill(comp.pid, 'SIGKILL');
  // The orchestrator compiles in-process now; once its own compilers are on record,
  // nothing of the dead daemon's may still run.
  await waitFor(() => childrenOf(p, 'orchestrator').length > 0, 60_000, 'the in-process fallback to start compiling');
  expect(liveInGroups(groups), `compilers of the dead daemon (groups ${[...groups]}) still running`).toEqual([]);
  const r = await build;
  expect(r.code, r.stderr).toBe(0);
  expectNoTrace(r);
  expect(JSON.parse(r.stdout)).toMatchObject({ failed: 0 });
  expect(runApp(p)).toBe('10\n');
  expect(readFileSync(join(p.root, '.replibuild/daemon_logs/orchestrator.log'), 'utf8')).toMatch(/reaped \d+ compiler\(s\) the compilation daemon left running/);
}, 120_000);
