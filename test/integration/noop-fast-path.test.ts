// Issue 16: a no-op build asks setup nothing and the compilation daemon nothing (the
// orchestrator answers from the config and compiler identity it holds, vouched for by
// the discovery journal, a few directory stats and a stat of the compiler), and the CLI
// sends its build with the token. Each test here is an edit made between two no-ops
// that the held answers must not hide.
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJson, cliSync, readRecordFile, waitFor, pidAlive, projectsPerTest, type TestProject } from '../helpers/project.js';
import { requestsDuring } from '../helpers/requests.js';
import type { StatusReport } from '../../protocol/status.js';

const newProject = projectsPerTest();
const PORTS = ['setup', 'discovery', 'compilation', 'orchestrator'].map((n) => `[daemons.${n}]\nport = 0\n`).join('');

const compile = (p: TestProject) => compileJson(p, [], { ok: true });

function orchestratorDetail(p: TestProject, key: string): number {
  const report = JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
  return report.daemons.find((d) => d.name === 'orchestrator')!.details[key] as number;
}

/** Past the racy window of directory stamps (journal-point.ts, 2 s): files made by the
 *  test just now would make every stamp racy, and the no-op would ask setup anyway. */
const pastRacyWindow = () => new Promise((r) => setTimeout(r, 2300));
/** An edit of replibuild.toml that changes every command: a define EDITED=1. */
const addDefine = (p: TestProject) => p.write('replibuild.toml', p.read('replibuild.toml').replace('[targets.app]', '[compiler]\ndefines = ["EDITED=1"]\n\n[targets.app]'));

describe('the no-op fast path', () => {
  it('asks neither setup nor compilation, and still sees a source edit and a config edit', async () => {
    const p = newProject();
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    expect(compile(p).compiled).toBe(1);
    expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 1 });
    expect(requestsDuring(p, 'setup', () => expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 1 }))).toBe(0);
    expect(requestsDuring(p, 'compilation', () => expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 1 }))).toBe(0);

    p.write('src/main.cpp', '#include <cstdio>\nint main() { std::puts("edited"); return 0; }\n');
    expect(compile(p)).toMatchObject({ compiled: 1, linked: 1 });
    expect(compile(p)).toMatchObject({ compiled: 0 });

    addDefine(p);
    // The object may come out the same (main.cpp does not use it): compiled, not relinked.
    expect(compile(p)).toMatchObject({ compiled: 1 });
    expect(compile(p)).toMatchObject({ compiled: 0 });
  });

  it('an edit holds its config too, and a TOML edited along with a source is still seen', async () => {
    const p = newProject();
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    expect(compile(p).compiled).toBe(1);
    expect(compile(p)).toMatchObject({ compiled: 0 });
    const edit = (text: string) => p.write('src/main.cpp', `#include <cstdio>\nint main() { std::puts("${text}"); return 0; }\n`);
    // Counted by the orchestrator: the compilation daemon asks setup on its own schedule
    // (request-scope.ts), whatever the build does.
    const held = () => orchestratorDetail(p, 'configs_held');
    edit('one');
    let before = held();
    expect(compile(p)).toMatchObject({ compiled: 1, linked: 1 });
    expect(held()).toBe(before + 1);

    // Between two builds, both files edited: the journal names the TOML, and setup is asked.
    edit('two');
    addDefine(p);
    before = held();
    expect(compile(p)).toMatchObject({ compiled: 1 });
    expect(held()).toBe(before);
    // Its new define is in the commands the build ran (compile_commands.json follows the config).
    expect(p.read('compile_commands.json')).toContain('EDITED=1');
    edit('three');
    expect(compile(p)).toMatchObject({ compiled: 1 });
    expect(compile(p)).toMatchObject({ compiled: 0 });
  });

  it('stops asking setup once the source dirs, racy at the build, are past the racy window', async () => {
    const p = newProject();
    expect(cliSync(['start'], p).code).toBe(0);
    // A file made and removed in src just now: the build stamps src racy, and so the next
    // no-op asks setup. That one, past the window, stamps it again, and the one after does not ask.
    p.write('src/scratch.txt', '');
    rmSync(join(p.root, 'src/scratch.txt'));
    expect(compile(p).compiled).toBe(1);
    await pastRacyWindow();
    expect(requestsDuring(p, 'setup', () => expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 1 }))).toBe(1);
    expect(requestsDuring(p, 'setup', () => expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 1 }))).toBe(0);
    // Still vouched for by the new stamp: a source added there is seen.
    p.write('src/extra.cpp', 'int extra() { return 1; }\n');
    expect(compile(p)).toMatchObject({ compiled: 1, upToDate: 1, linked: 1 });
  });

  it('sees a new source whose name discovery ignores: the source dirs are stamped', async () => {
    const p = newProject({}, PORTS.replace('[daemons.discovery]\n', '[daemons.discovery]\nignored_patterns = ["gen_*"]\n'));
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    expect(compile(p).compiled).toBe(1);
    expect(requestsDuring(p, 'setup', () => expect(compile(p)).toMatchObject({ compiled: 0 }))).toBe(0);
    // The journal does not report it; only the directory's stat says it came.
    p.write('src/gen_extra.cpp', 'int extra() { return 1; }\n');
    expect(compile(p)).toMatchObject({ compiled: 1, upToDate: 1, linked: 1 });
  });

  it('sees the daemon_config.toml change, and a daemon restarted with it, between two no-ops', async () => {
    const p = newProject();
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    expect(compile(p).compiled).toBe(1);
    expect(compile(p)).toMatchObject({ compiled: 0 });
    p.write('.replibuild/daemon_config.toml', PORTS.replace('[daemons.orchestrator]\n', '[daemons.orchestrator]\nbogus_key = 1\n'));
    const r = cliSync(['compile'], p);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/daemon_config\.toml:\d+:\d+: error: .*bogus_key/);
    p.write('.replibuild/daemon_config.toml', PORTS);
    expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 1 });

    // Setup restarted: its generations count from the start again.
    const setup = readRecordFile(p.root, 'setup')!;
    process.kill(setup.pid, 'SIGKILL');
    await waitFor(() => !pidAlive(setup.pid), 10_000, 'setup to die');
    expect(cliSync(['ensure'], p).code).toBe(0);
    expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 1 });
    p.write('replibuild.toml', p.read('replibuild.toml').replace('[targets.app]', '[compiler]\ndefines = ["AFTER_RESTART=1"]\n\n[targets.app]'));
    expect(compile(p)).toMatchObject({ compiled: 1 });
  });

  it('sees the compiler a restarted compilation daemon finds, though the orchestrator finds the old one', async () => {
    const p = newProject();
    // `mycxx` on PATH: one wrapper for the daemons started first, another for the
    // compilation daemon restarted later; both run the real g++.
    for (const d of ['bin1', 'bin2']) {
      mkdirSync(join(p.root, '..', d), { recursive: true });
      const f = join(p.root, '..', d, 'mycxx');
      writeFileSync(f, `#!/bin/sh\n# ${d}\nexec g++ "$@"\n`);
      chmodSync(f, 0o755);
    }
    const withPath = (d: string): TestProject => ({ ...p, env: { ...p.env, PATH: `${join(p.root, '..', d)}:${p.env.PATH}` } });
    p.write('replibuild.toml', p.read('replibuild.toml').replace('[targets.app]', '[compiler]\ncxx = "mycxx"\n\n[targets.app]'));
    expect(cliSync(['start'], withPath('bin1')).code).toBe(0);
    await pastRacyWindow();
    expect(compile(withPath('bin1')).compiled).toBe(1);
    expect(compile(withPath('bin1'))).toMatchObject({ compiled: 0 });

    const comp = readRecordFile(p.root, 'compilation')!;
    process.kill(comp.pid, 'SIGKILL');
    await waitFor(() => !pidAlive(comp.pid), 10_000, 'compilation to die');
    expect(cliSync(['ensure'], withPath('bin2')).code).toBe(0);
    const s = compile(withPath('bin2'));
    expect(s.upToDate).toBe(0);
    expect(s.compiled + s.cached).toBe(1);
  });
});
