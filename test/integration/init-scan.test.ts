// `replibuild init` without CMake: a replibuild.toml from a scan of the tree, then a
// build through the daemons of what it wrote.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { cliSync } from '../helpers/project.js';
import { scratchPerTest } from '../helpers/scratch.js';

const scratch = scratchPerTest();

function write(root: string, files: Record<string, string>): void {
  for (const [rel, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), body);
  }
}

const TREE = {
  'include/geo/point.h': '#pragma once\nint norm1(int x, int y);\n',
  'src/point.cpp': '#include "geo/point.h"\n#include "util.h"\nint norm1(int x, int y) { return absval(x) + absval(y); }\n',
  'src/util.h': '#pragma once\n#ifdef __cplusplus\nextern "C"\n#endif\nint absval(int);\n',
  'src/util.c': '#include "util.h"\nint absval(int v) { return v < 0 ? -v : v; }\n',
  'app/main.cpp': '#include <cstdio>\n#include <geo/point.h>\n// int main() in a comment is not a definition\nint main() { std::printf("app %d\\n", norm1(-3, 4)); }\n',
  'tools/cli.c': '#include <stdio.h>\nint absval(int);\nint\nmain(void)\n{\n  printf("cli %d\\n", absval(-9));\n  return 0;\n}\n',
  'build/stale.cpp': 'this is in the build dir: never a source\n',
  // An in-source CMake build: its compiler-identification sources define main.
  'cmake-build-debug/CMakeCache.txt': '',
  'cmake-build-debug/CMakeFiles/3.25.1/CompilerIdCXX/CMakeCXXCompilerId.cpp': 'int main() { return 0; }\n',
};

describe('replibuild init', () => {
  it('finds programs, the library they link and the include dirs; what it writes builds and runs', () => {
    const s = scratch();
    write(s.root, TREE);
    const r = cliSync(['init'], s);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('wrote replibuild.toml from a scan of 4 sources and 2 headers: 3 targets');
    expect(r.stdout).toContain('wrote .replibuild/daemon_config.toml: port = 0 (any free port) for setup, discovery, compilation, orchestrator');

    const toml = parse(readFileSync(join(s.root, 'replibuild.toml'), 'utf8')) as Record<string, any>;
    expect(toml.project.name).toBe('proj');
    // util.h is found beside point.cpp, so only include/ is needed.
    expect(toml.compiler.include_dirs).toEqual(['include']);
    expect(toml.targets).toEqual({
      proj: { kind: 'static', sources: ['src/point.cpp', 'src/util.c'] },
      main: { kind: 'executable', sources: ['app/main.cpp'], deps: ['proj'] },
      cli: { kind: 'executable', sources: ['tools/cli.c'], deps: ['proj'] },
    });

    expect(cliSync(['start'], s).code).toBe(0);
    const c = cliSync(['compile'], s);
    expect(c.code, c.stderr).toBe(0);
    expect(spawnSync(join(s.root, 'build/bin/main'), { encoding: 'utf8' }).stdout).toBe('app 7\n');
    expect(spawnSync(join(s.root, 'build/bin/cli'), { encoding: 'utf8' }).stdout).toBe('cli 9\n');
  });

  it('never overwrites: a second init fails, names the files, and changes nothing', () => {
    const s = scratch();
    write(s.root, TREE);
    expect(cliSync(['init'], s).code).toBe(0);
    writeFileSync(join(s.root, 'replibuild.toml'), '# edited\n');
    const again = cliSync(['init'], s);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(
      `replibuild: replibuild.toml and .replibuild/daemon_config.toml already exist in ${s.root}; ` +
        'replibuild init never overwrites a file: move it away (or edit it by hand) and run init again. Nothing was written\n',
    );
    expect(readFileSync(join(s.root, 'replibuild.toml'), 'utf8')).toBe('# edited\n');
  });

  it('an existing daemon_config.toml alone is refused too, and no replibuild.toml is written', () => {
    const s = scratch();
    write(s.root, { ...TREE, '.replibuild/daemon_config.toml': '[daemons.setup]\nport = 0\n' });
    const r = cliSync(['init'], s);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('.replibuild/daemon_config.toml already exists');
    expect(existsSync(join(s.root, 'replibuild.toml'))).toBe(false);
  });

  it('a tree without sources, or a SOURCE_DIR without --from-cmake, is a clear error', () => {
    const s = scratch();
    const empty = cliSync(['init'], s);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toBe(`replibuild: no C or C++ sources (**/*.{c,cc,cpp,cxx}) under ${s.root}: nothing to put in replibuild.toml\n`);
    const stray = cliSync(['init', 'src'], s);
    expect(stray.code).toBe(1);
    expect(stray.stderr).toMatch(/takes a SOURCE_DIR and CMake arguments only with --from-cmake/);
    expect(existsSync(join(s.root, '.replibuild'))).toBe(false);
  });
});
