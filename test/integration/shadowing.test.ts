// A new header that shadows one a TU included must recompile that TU, also without
// the discovery daemon: the real CLI in-process (--no-daemon, CI=true), the real g++
// and clang++ (their own include dirs differ: <cstdio> is found elsewhere).
// And a no-op --no-daemon build reads no file content (the persisted hash cache).
import { describe, it, expect, afterEach, beforeEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compileJson, cliSync, makeProject, type CompileJson, type TestProject } from '../helpers/project.js';
import { hashCachePath } from '../../daemons/orchestrator/file-hasher.js';
import { COMPILERS, withCompilers, type CompilerPair } from '../helpers/compilers.js';

const projects: TestProject[] = [];
/** The compilers of the suite running now (default: whatever $CXX and $CC say). */
let pair: CompilerPair | null = null;
afterEach(async () => {
  for (const p of projects.splice(0)) await p.cleanup();
});

function project(files: Record<string, string>): TestProject {
  const p = makeProject(files, '[daemons]\nenable_discovery = false\n');
  if (pair) p.env = withCompilers(p.env, pair);
  p.env.CI = 'true';
  projects.push(p);
  return p;
}

const toml = (includeDirs: string[]) =>
  `[project]\nname = "t"\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\ninclude_dirs = ${JSON.stringify(includeDirs)}\n`;

const build = (p: TestProject) => compileJson(p, ['--no-daemon'], { ok: true });

/** Compiled (or served by the compile cache): either way the TU was not taken as up to date. */
const rebuilt = (s: CompileJson) => s.compiled + s.cached;
const run = (p: TestProject) => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });

const PRINT_WHO = '#include <cstdio>\n#include "foo.h"\nint main() { std::puts(WHO); return 0; }\n';

describe.each(COMPILERS.map((c) => [c.name, c] as const))('under %s', (_name, c: CompilerPair) => {
  beforeEach(() => {
    pair = c;
    return () => {
      pair = null;
    };
  });

  describe('new headers that shadow included ones (--no-daemon)', () => {
    it('-Ib -Ia: a new b/foo.h recompiles; removing it recompiles back; unrelated files change nothing', () => {
      const p = project({
        'replibuild.toml': toml(['b', 'a']),
        'a/foo.h': '#pragma once\n#define WHO "a"\n',
        'b/README.md': 'headers that override a/ go here\n',
        'src/main.cpp': PRINT_WHO,
      });
      expect(build(p)).toMatchObject({ ok: true, compiled: 1 });
      expect(run(p)).toBe('a\n');
      expect(build(p)).toMatchObject({ ok: true, compiled: 0, cached: 0, upToDate: 1 });

      p.write('b/foo.h', '#pragma once\n#define WHO "b"\n');
      const shadowed = build(p);
      expect(rebuilt(shadowed)).toBe(1);
      expect(run(p)).toBe('b\n');
      expect(build(p)).toMatchObject({ ok: true, compiled: 0, cached: 0, upToDate: 1 });

      rmSync(join(p.root, 'b/foo.h'));
      const back = build(p);
      expect(back.ok).toBe(true);
      expect(rebuilt(back)).toBe(1);
      expect(run(p)).toBe('a\n');

      // Files that shadow nothing: other names, other dirs, a name only one letter off.
      p.write('b/bar.h', '#pragma once\n');
      p.write('a/foo.hpp', '#pragma once\n');
      p.write('c/foo.h', '#pragma once\n#define WHO "c"\n');
      p.write('src/notes.txt', 'x\n');
      expect(build(p)).toMatchObject({ ok: true, compiled: 0, cached: 0, upToDate: 1, linked: 0 });
      expect(run(p)).toBe('a\n');
    });

    it('a new foo.h beside the source shadows include/foo.h for #include "foo.h"', () => {
      const p = project({
        'replibuild.toml': toml(['include']),
        'include/foo.h': '#pragma once\n#define WHO "include"\n',
        'src/main.cpp': PRINT_WHO,
      });
      build(p);
      expect(run(p)).toBe('include\n');
      p.write('src/foo.h', '#pragma once\n#define WHO "src"\n');
      expect(rebuilt(build(p))).toBe(1);
      expect(run(p)).toBe('src\n');
      expect(build(p)).toMatchObject({ compiled: 0, cached: 0, upToDate: 1 });
    });

    it('a project include/cstdio shadows the system <cstdio>, and its removal recompiles back', () => {
      const p = project({
        'replibuild.toml': toml(['include']),
        'include/app.h': '#pragma once\n',
        'src/main.cpp':
          '#include <cstdio>\n#include "app.h"\n#ifndef SHADOWED\n#define SHADOWED 0\n#endif\n' +
          'int main() { std::printf("%d\\n", SHADOWED); return 0; }\n',
      });
      build(p);
      expect(run(p)).toBe('0\n');
      p.write('include/cstdio', '#pragma once\n#include_next <cstdio>\n#define SHADOWED 1\n');
      expect(rebuilt(build(p))).toBe(1);
      expect(run(p)).toBe('1\n');
      // The shadowing header is now read, and the system one behind it (#include_next) too:
      // neither makes the TU look shadowed for ever.
      expect(build(p)).toMatchObject({ compiled: 0, cached: 0, upToDate: 1 });
      rmSync(join(p.root, 'include/cstdio'));
      expect(rebuilt(build(p))).toBe(1);
      expect(run(p)).toBe('0\n');
    });

    it('a file that could never be found first (ambiguous -Iinc -Iinc/sub) does not rebuild for ever', () => {
      const p = project({
        'replibuild.toml': toml(['inc', 'inc/sub']),
        'inc/sub/x.h': '#pragma once\n#define WHO "sub"\n',
        // Reachable as "x.h" from inc/, but the source asks for "sub/x.h": never read.
        'inc/x.h': '#pragma once\n#define WHO "top"\n',
        'src/main.cpp': '#include <cstdio>\n#include "sub/x.h"\nint main() { std::puts(WHO); return 0; }\n',
      });
      expect(build(p)).toMatchObject({ ok: true, compiled: 1 });
      expect(run(p)).toBe('sub\n');
      expect(build(p)).toMatchObject({ compiled: 0, cached: 0, upToDate: 1 });
      // The same file seen through a new earlier dir would be found: that one counts.
      p.write('src/sub/x.h', '#pragma once\n#define WHO "src"\n');
      expect(rebuilt(build(p))).toBe(1);
      expect(run(p)).toBe('src\n');
    });
  });
});

describe('no-op --no-daemon builds', () => {
  it('read no file content: unchanged files are known by their stat from the persisted hash cache', async () => {
    const p = project({
      'replibuild.toml': toml(['include']),
      'include/foo.h': '#pragma once\n#define WHO "x"\n',
      'src/main.cpp': PRINT_WHO,
      'src/other.cpp': '#include "foo.h"\nconst char* other() { return WHO; }\n',
    });
    const verbose = () => {
      const r = cliSync(['compile', '--no-daemon', '--verbose'], p);
      expect(r.code, r.stderr).toBe(0);
      const m = /file hashes: (\d+) unchanged \(stat only\), (\d+) read/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      return { stat: Number(m![1]), read: Number(m![2]) };
    };
    const cold = verbose();
    expect(cold.read).toBeGreaterThan(0);
    expect(existsSync(hashCachePath(p.root))).toBe(true);
    // Files written in the last 2 s are hashed again every time (racily clean); let them settle.
    await new Promise((r) => setTimeout(r, 2100));
    verbose();
    const noop = verbose();
    expect(noop.read).toBe(0);
    // Both sources, the project header, their system headers, both objects, the program.
    expect(noop.stat).toBeGreaterThan(10);

    // An edit is still seen: the edited file is read, nothing else.
    p.write('include/foo.h', '#pragma once\n#define WHO "y"\n');
    const edited = verbose();
    expect(edited.read).toBeGreaterThanOrEqual(1);
    expect(run(p)).toBe('y\n');
  });
});
