// Issue 15: every build leaves a trace; `why` and `compile --explain` say why each TU
// and link was rebuilt (the header, by name; flags; the cache's answer), through the
// real daemons and in-process alike, with the real g++.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, cliSync, projectsPerTest, type TestProject } from '../helpers/project.js';
import type { BuildTrace } from '../../protocol/trace.js';

const project = projectsPerTest();

const TOML = (mode: number) =>
  `[project]\nname = "why"\n\n[compiler]\ninclude_dirs = ["include"]\ndefines = ["MODE=${mode}"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n`;
const COMMON = '#pragma once\ninline int common() { return 1; }\n';

/** f0 and f1 include common.h; every TU includes config.h. */
function files(): Record<string, string> {
  return {
    'replibuild.toml': TOML(1),
    'include/common.h': COMMON,
    'include/config.h': '#pragma once\n#ifndef MODE\n#define MODE 0\n#endif\n',
    'src/f0.cpp': '#include "config.h"\n#include "common.h"\nint f0() { return common() + MODE; }\n',
    'src/f1.cpp': '#include "config.h"\n#include "common.h"\nint f1() { return common(); }\n',
    'src/f2.cpp': '#include "config.h"\nint f2() { return MODE; }\n',
    'src/main.cpp': '#include <cstdio>\nint f0(); int f1(); int f2();\nint main() { std::printf("%d\\n", f0() + f1() + f2()); return 0; }\n',
  };
}

function ok(p: TestProject, args: string[]): string {
  const r = cliSync(args, p);
  expect(r.code, `${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout;
}

/** `why`'s lines without its heading. */
const why = (p: TestProject, ...args: string[]) => ok(p, ['why', ...args]).trim().split('\n').slice(1);

function lastTrace(p: TestProject): BuildTrace {
  const last = ok(p, ['why']).match(/^build (\d+) /)![1]!;
  return JSON.parse(readFileSync(join(p.root, '.replibuild/traces', `${last}.json`), 'utf8')) as BuildTrace;
}

for (const mode of ['daemons', 'no-daemon'] as const) {
  describe(`why and compile --explain (${mode})`, () => {
    const flags = mode === 'no-daemon' ? ['--no-daemon'] : [];
    const compile = (p: TestProject, ...extra: string[]) => ok(p, ['compile', ...flags, ...extra]);

    it('name the changed header, then flags changed after a define change; each with the cache\'s answer', () => {
      const p = project(files());
      if (mode === 'daemons') ok(p, ['start']);
      compile(p);
      expect(why(p)).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/f2\.cpp: no previous build → compiled in \d+\.\d\ds \(cache miss: first compile of this source text/)]));

      // A real edit of a header two TUs read: exactly those two, the header named, as the cache saw it too.
      p.write('include/common.h', COMMON.replace('return 1', 'return 2'));
      const explained = compile(p, '--explain')
        .split('\n')
        .filter((l) => l.startsWith('why: '));
      const expected = ['src/f0.cpp', 'src/f1.cpp'].map(
        (s) => `why: ${s}: header changed: include/common.h → compiled in`,
      );
      expect(explained.filter((l) => l.includes('.cpp:')).map((l) => l.slice(0, l.indexOf(' in ') + 3)).sort()).toEqual(expected);
      for (const l of explained.filter((l) => l.includes('.cpp:'))) expect(l).toMatch(/\(cache miss: header include\/common\.h changed or is gone\)$/);
      expect(explained).toEqual(expect.arrayContaining([expect.stringMatching(/^why: build\/bin\/app: input changed: build\/obj\/app\/src\/f0\.cpp\.o → linked in /)]));
      // `why` prints the same lines; by header, by source, and for a TU that did not rebuild.
      expect(why(p).map((l) => `why: ${l}`)).toEqual(explained);
      expect(why(p, 'include/common.h').map((l) => l.split(':')[0])).toEqual(explained.filter((l) => l.includes('.cpp:')).map((l) => l.split(':')[1]!.trim()));
      expect(why(p, 'src/f2.cpp')).toEqual([expect.stringMatching(/^src\/f2\.cpp: not rebuilt in build \d+/)]);
      // From a subdirectory, FILE is taken from there.
      const sub = spawnSync(process.execPath, [CLI, 'why', 'f0.cpp'], { cwd: join(p.root, 'src'), env: p.env, encoding: 'utf8' });
      expect(sub.stdout).toMatch(/^src\/f0\.cpp: header changed: include\/common\.h/m);

      // The edit undone: rebuilt for the same reason, answered by the cache.
      p.write('include/common.h', COMMON);
      compile(p);
      // Sorted: the two hits finish in either order, and the trace lists them as they finished.
      expect(why(p, 'include/common.h').sort()).toEqual([
        expect.stringMatching(/^src\/f0\.cpp: header changed: include\/common\.h → from cache \(direct mode\) in /),
        expect.stringMatching(/^src\/f1\.cpp: header changed: include\/common\.h → from cache \(direct mode\) in /),
      ]);

      // Nothing changed: this build rebuilt nothing, and `why` points to the one that did.
      const before = lastTrace(p).id;
      compile(p);
      const noop = ok(p, ['why']);
      expect(noop).toMatch(new RegExp(`^build ${before + 1} .*: (all 4 TUs up to date|0 of 4 TUs rebuilt)`));
      expect(noop).toContain(`the last build that rebuilt something is ${before}: replibuild why --build ${before}`);
      expect(why(p, '--build', String(before)).length).toBeGreaterThan(0);

      // A define changed in replibuild.toml: every TU, "flags changed".
      p.write('replibuild.toml', TOML(2));
      compile(p);
      const flagsLines = why(p).filter((l) => l.includes('.cpp:'));
      expect(flagsLines.map((l) => l.split(':')[0]).sort()).toEqual(['src/f0.cpp', 'src/f1.cpp', 'src/f2.cpp', 'src/main.cpp']);
      // (main.cpp reads no MODE: preprocessor mode, if the daemon tries it, may find its -E output stored.)
      for (const l of flagsLines) expect(l).toMatch(/: flags changed .*→ (compiled in .*\(cache miss: first compile of this source text with this command and compiler\)|from cache \(preprocessed mode\) in .*)$/);
      const t = lastTrace(p);
      // The daemon, having seen these sources under MODE=1, may try preprocessor mode first (a -D that changes no token).
      for (const s of t.steps.filter((s) => s.kind === 'compile')) {
        expect(s.reason).toEqual({ kind: 'flags-changed' });
        if (s.outcome === 'compiled') expect(s.cache).toMatchObject({ mode: expect.stringMatching(/^(depend|preprocessor)$/), miss: { kind: 'first-compile' } });
        else expect(s.cache).toEqual({ mode: 'preprocessed' });
      }
      expect(t).toMatchObject({ ok: true, tus: 4, up_to_date: 0, build_dir: 'build' });
      for (const s of t.steps.filter((s) => s.outcome !== 'up-to-date')) {
        expect(s.lane!).toBeLessThan(t.jobs);
        expect(s.end!).toBeGreaterThanOrEqual(s.start!);
      }
      expect(t.header_costs.project.map((h) => h.path).sort()).toEqual(['include/common.h', 'include/config.h']);
      expect(t.header_costs.project.find((h) => h.path === 'include/config.h')!.includers).toBe(3);
    });

    it('a failed compile is in the trace with its reason; the report is written all the same', () => {
      const p = project(files());
      if (mode === 'daemons') ok(p, ['start']);
      compile(p);
      p.write('src/f2.cpp', 'int f2() { return nope; }\n');
      const r = cliSync(['compile', ...flags, '--explain'], p);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/^why: src\/f2\.cpp: source changed → failed in /m);
      expect(why(p)).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/f2\.cpp: source changed → failed/)]));
      const html = ok(p, ['report']).trim();
      expect(html).toBe(join(p.root, '.replibuild/reports', `build-${lastTrace(p).id}.html`));
      expect(readFileSync(html, 'utf8')).toContain('class="bar compile o-failed');
      const chrome = ok(p, ['report', '--trace', 'last-1']).trim();
      expect(existsSync(chrome)).toBe(true);
      const events = (JSON.parse(readFileSync(chrome, 'utf8')) as { traceEvents: { ph: string }[] }).traceEvents;
      expect(events.filter((e) => e.ph === 'X')).toHaveLength(5); // the first build: 4 TUs and a link
    });
  });
}

describe('no-ops in a row (daemons)', () => {
  const traceFiles = (p: TestProject) => readdirSync(join(p.root, '.replibuild/traces')).sort();

  it('share the first one\'s trace, which why, compile --explain and report read; the next build writes its own', async () => {
    const p = project(files());
    ok(p, ['start']);
    // Past the racy window of directory stamps (journal-point.ts): the no-ops below take the fast path.
    await new Promise((r) => setTimeout(r, 2300));
    ok(p, ['compile']);
    const built = lastTrace(p).id;
    ok(p, ['compile']);
    expect(lastTrace(p)).toMatchObject({ id: built + 1, noop: true, tus: 4 });
    const kept = traceFiles(p);

    // More no-ops write nothing: each answers with that trace, and its readers read it.
    expect(ok(p, ['compile', '--explain'])).toContain('why: nothing was rebuilt');
    ok(p, ['compile']);
    expect(traceFiles(p)).toEqual(kept);
    const heading = ok(p, ['why']);
    expect(heading).toMatch(new RegExp(`^build ${built + 1} \\(no-op since [^)]+ UTC\\): all 4 TUs up to date \\(from the change journal\\), ok in `));
    expect(heading).toContain(`the last build that rebuilt something is ${built}: replibuild why --build ${built}`);
    expect(ok(p, ['report']).trim()).toBe(join(p.root, '.replibuild/reports', `build-${built + 1}.html`));

    // A build that does something writes its own trace; the no-op after it starts a new one.
    p.write('src/f2.cpp', 'int f2() { return 7; }\n');
    ok(p, ['compile']);
    expect(lastTrace(p)).toMatchObject({ id: built + 2, up_to_date: 3 });
    expect(why(p)).toEqual(expect.arrayContaining([expect.stringMatching(/^src\/f2\.cpp: source changed → /)]));
    ok(p, ['compile']);
    expect(lastTrace(p)).toMatchObject({ id: built + 3, noop: true });

    // A build of other targets is not the same no-op: a trace of its own.
    ok(p, ['compile', 'app']);
    expect(lastTrace(p)).toMatchObject({ id: built + 4, noop: true, targets: ['app'] });
  });
});
