// `replibuild init --from-cmake` on a CMake project of our own (test/fixtures/cmake-demo:
// static, shared, OBJECT and INTERFACE libraries, C and C++, a configured header and a
// configured source, two programs), with the real cmake, then `replibuild compile`
// through the daemons: the programs print what CMake's own build of them prints.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, cliSync } from '../helpers/project.js';
import { scratchPerTest } from '../helpers/scratch.js';

const FIXTURE = join(REPO, 'test/fixtures/cmake-demo');
const scratch = scratchPerTest();

function run(cmd: string, args: string[], cwd: string): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function compileJson(s: { root: string; env: NodeJS.ProcessEnv }): { compiled: number; upToDate: number; ok: boolean } {
  const r = cliSync(['compile', '--json'], s);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('replibuild init --from-cmake', () => {
  it('imports the demo project; the programs replibuild builds print what CMake-built ones print', () => {
    const s = scratch();
    cpSync(FIXTURE, s.root, { recursive: true });

    const init = cliSync(['init', '--from-cmake'], s);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toMatch(/wrote replibuild\.toml from CMake's codemodel .*: 5 targets/);
    expect(init.stdout).toMatch(/wrote \.replibuild\/daemon_config\.toml: port = 0/);
    // What cannot be imported, in one message; the rest is written.
    expect(init.stderr).toContain('could not import 3 things (the rest was written)');
    expect(init.stderr).toContain('genlib: .replibuild/cmake-import/gen.cpp is generated at build time by a custom command');
    expect(init.stderr).toContain('docs: a custom target (add_custom_target)');
    expect(readFileSync(join(s.root, '.replibuild/daemon_config.toml'), 'utf8')).toMatch(/\[daemons\.orchestrator\]\nport = 0/);

    // CMake's own build of the same tree, beside it.
    const cmakeBuild = join(s.base, 'cmake-build');
    const configure = run('cmake', ['-S', s.root, '-B', cmakeBuild, '-G', 'Ninja'], s.base);
    expect(configure.code, configure.out).toBe(0);
    const build = run('cmake', ['--build', cmakeBuild, '--target', 'app', 'tool'], s.base);
    expect(build.code, build.out).toBe(0);

    expect(cliSync(['start'], s).code).toBe(0);
    const first = compileJson(s);
    expect(first.ok).toBe(true);
    for (const prog of ['app', 'tool']) {
      const ours = run(join(s.root, 'build/bin', prog), [], s.base);
      const theirs = run(join(cmakeBuild, prog), [], s.base);
      expect(ours.code, ours.out).toBe(0);
      expect(theirs.code).toBe(0);
      expect(ours.out).toBe(theirs.out);
      expect(ours.out).toMatch(new RegExp(`^${prog} `));
    }
    expect(compileJson(s).compiled).toBe(0);

    // The configured header lies in the import's build dir, which discovery does not
    // watch: the orchestrator hashes it itself, so an edit there is built.
    const header = join(s.root, '.replibuild/cmake-import/generated/config.h');
    writeFileSync(header, readFileSync(header, 'utf8').replace('hello from cmake', 'edited by hand'));
    const after = compileJson(s);
    expect(after.compiled).toBeGreaterThan(0);
    expect(run(join(s.root, 'build/bin/app'), [], s.base).out).toMatch(/: edited by hand 20 12\n$/);
  });

  it('imports a SOURCE_DIR beside the project: its sources and include dirs are named outside the root, and build', () => {
    const s = scratch();
    const src = join(s.base, 'src');
    mkdirSync(join(src, 'include'), { recursive: true });
    writeFileSync(join(src, 'CMakeLists.txt'), 'cmake_minimum_required(VERSION 3.16)\nproject(beside CXX)\nadd_executable(hi main.cpp)\ntarget_include_directories(hi PRIVATE include)\n');
    writeFileSync(join(src, 'include/msg.h'), '#define MSG "beside"\n');
    writeFileSync(join(src, 'main.cpp'), '#include <cstdio>\n#include <msg.h>\nint main() { std::puts(MSG); }\n');

    const init = cliSync(['init', '--from-cmake', '../src'], s);
    expect(init.code, init.stderr).toBe(0);
    const toml = readFileSync(join(s.root, 'replibuild.toml'), 'utf8');
    expect(toml).toContain('sources = [ "../src/main.cpp" ]');
    expect(toml).toContain('include_dirs = [ "../src/include" ]');
    expect(cliSync(['start'], s).code).toBe(0);
    expect(compileJson(s)).toMatchObject({ ok: true, compiled: 1 });
    expect(run(join(s.root, 'build/bin/hi'), [], s.base).out).toBe('beside\n');
  });

  it('never overwrites: an existing replibuild.toml stops it before CMake runs, and nothing is written', () => {
    const s = scratch();
    cpSync(FIXTURE, s.root, { recursive: true });
    writeFileSync(join(s.root, 'replibuild.toml'), '# mine\n');
    const r = cliSync(['init', '--from-cmake'], s);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^replibuild: replibuild\.toml already exists in .*never overwrites a file.*Nothing was written\n$/s);
    expect(readFileSync(join(s.root, 'replibuild.toml'), 'utf8')).toBe('# mine\n');
    expect(existsSync(join(s.root, '.replibuild'))).toBe(false);
  });

  it('a directory without CMakeLists.txt, or a CMake error, is a clear error, and nothing is written', () => {
    const s = scratch();
    const none = cliSync(['init', '--from-cmake', s.base], s);
    expect(none.code).toBe(1);
    expect(none.stderr).toBe(`replibuild: ${s.base} has no CMakeLists.txt: pass the CMake project's source dir (replibuild init --from-cmake SOURCE_DIR)\n`);

    writeFileSync(join(s.root, 'CMakeLists.txt'), 'cmake_minimum_required(VERSION 3.16)\nproject(bad CXX)\nadd_executable(x missing.cpp)\n');
    const bad = cliSync(['init', '--from-cmake', '.', '--', '-DSOME_OPTION=ON'], s);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^replibuild: cmake -S .* -DSOME_OPTION=ON failed \(exit 1\):\n/);
    expect(bad.stderr).toContain('missing.cpp');
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(join(s.root, 'replibuild.toml'))).toBe(false);
    expect(existsSync(join(s.root, '.replibuild/daemon_config.toml'))).toBe(false);
  });
});
