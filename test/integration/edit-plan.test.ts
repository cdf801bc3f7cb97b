// Issue 16: an edit is planned from the last build's plan (edit-plan.ts), looking only
// at the TUs that read an edited file. Each test makes an edit that this shortcut must
// still see, through real daemons, and checks that the shortcut was taken where it
// may be (status: edit_plans) and what the build did.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../protocol/status.js';
import { cliSync, compileJson, projectsPerTest, type TestProject } from '../helpers/project.js';

const newProject = projectsPerTest();
const compile = (p: TestProject) => compileJson(p, [], { ok: true });
const run = (p: TestProject) => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });

function editPlans(p: TestProject): number {
  const report = JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
  return report.daemons.find((d) => d.name === 'orchestrator')!.details.edit_plans as number;
}

/** Past the racy window of directory stamps (journal-point.ts, 2 s): a point whose
 *  stamps are racy vouches for nothing, and every edit would plan in full. */
const pastRacyWindow = () => new Promise((r) => setTimeout(r, 2300));

const TOML = (includeDirs: string[]) =>
  `[project]\nname = "e"\n\n[compiler]\ninclude_dirs = ${JSON.stringify(includeDirs)}\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n`;

const MAIN = '#include <cstdio>\nint a();\nint b();\nint main() { std::printf("%d %d\\n", a(), b()); }\n';

const PLAIN = { 'replibuild.toml': TOML([]), 'src/main.cpp': MAIN, 'src/a.cpp': 'int a() { return 1; }\n', 'src/b.cpp': 'int b() { return 2; }\n' };
/** a.cpp reads a.h, b.cpp reads b.h. */
const TWO_HEADERS = {
  'replibuild.toml': TOML(['include']),
  'src/main.cpp': MAIN,
  'src/a.cpp': '#include "a.h"\nint a() { return A; }\n',
  'src/b.cpp': '#include "b.h"\nint b() { return B; }\n',
  'include/a.h': '#define A 1\n',
  'include/b.h': '#define B 2\n',
};

describe('an edit planned from the last build', () => {
  /** The project's daemons started and its first build done, past the racy window. */
  async function built(files: Record<string, string>) {
    const p = newProject(files);
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    expect(compile(p)).toMatchObject({ compiled: 3, linked: 1 });
    return p;
  }

  it('compiles again an object deleted by hand that the edit\'s link needs, instead of failing the link', async () => {
    const p = await built(PLAIN);
    rmSync(join(p.root, 'build/obj/app/src/a.cpp.o'));
    p.write('src/b.cpp', 'int b() { return 20; }\n');
    const before = editPlans(p);
    const r = compile(p);
    // Planned from the last build (the object is not looked for before the link), then in
    // full once the link met its absence: one build, nothing failed.
    expect(editPlans(p)).toBe(before + 1);
    expect(r).toMatchObject({ ok: true, failed: 0, linked: 1 });
    expect(r.compiled + r.cached).toBe(2);
    expect(r.compiled + r.cached + r.upToDate).toBe(3);
    expect(run(p)).toBe('1 20\n');
  });

  it('an edit whose link fails with every object there fails as a link failure, not planned again', async () => {
    const p = await built(PLAIN);
    const before = editPlans(p);
    p.write('src/b.cpp', 'int not_b() { return 2; }\n');
    const r = compileJson(p);
    expect(editPlans(p)).toBe(before + 1);
    expect(r).toMatchObject({ ok: false, compiled: 1, failed: 1, linked: 0 });
    expect(r.error).toMatch(/linking app failed/);
  });

  it('compiles exactly the TUs that read an edited source or header', async () => {
    const p = await built(TWO_HEADERS);
    const before = editPlans(p);

    p.write('include/a.h', '#define A 10\n');
    expect(compile(p)).toMatchObject({ compiled: 1, upToDate: 2, linked: 1 });
    expect(run(p)).toBe('10 2\n');
    p.write('src/b.cpp', '#include "b.h"\nint b() { return B + 20; }\n');
    expect(compile(p)).toMatchObject({ compiled: 1, upToDate: 2, linked: 1 });
    expect(run(p)).toBe('10 22\n');
    // Two headers at once, each read by another TU.
    p.write('include/a.h', '#define A 100\n');
    p.write('include/b.h', '#define B 200\n');
    expect(compile(p)).toMatchObject({ compiled: 2, upToDate: 1, linked: 1 });
    expect(run(p)).toBe('100 220\n');
    // A header no TU reads: nothing to compile, nothing to link.
    p.write('include/unused.h', '#define U 1\n');
    await pastRacyWindow();
    expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 3, linked: 0 });
    p.write('include/unused.h', '#define U 2\n');
    expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 3, linked: 0 });
    expect(editPlans(p)).toBe(before + 4);
  });

  it('follows what a TU reads from one edit to the next: a header it took up since is seen', async () => {
    const p = await built(TWO_HEADERS);
    const before = editPlans(p);
    p.write('include/a.h', '#define A 10\n');
    expect(compile(p)).toMatchObject({ compiled: 1, upToDate: 2 });
    // a.h now includes b.h (an edit of a header, planned from the last build): the next
    // edit's plan must know that a.cpp reads b.h.
    p.write('include/a.h', '#include "b.h"\n#define A (B + 1)\n');
    expect(compile(p)).toMatchObject({ compiled: 1, upToDate: 2 });
    expect(run(p)).toBe('3 2\n');
    p.write('include/b.h', '#define B 5\n');
    expect(compile(p)).toMatchObject({ compiled: 2, upToDate: 1 });
    expect(run(p)).toBe('6 5\n');
    expect(editPlans(p)).toBe(before + 3);
  });

  it('sees a header the journal does not cover, edited with one it does', async () => {
    // An include dir reached through a symlink is not vouched for by the journal
    // (watch-coverage.ts): the orchestrator hashes what TUs read there itself.
    const p = newProject({
      'replibuild.toml': TOML(['include', 'lnk']),
      'src/main.cpp': MAIN,
      'src/a.cpp': '#include "a.h"\nint a() { return A; }\n',
      'src/b.cpp': '#include "u.h"\nint b() { return U; }\n',
      'include/a.h': '#define A 1\n',
      'hdr/u.h': '#define U 2\n',
    });
    symlinkSync('hdr', join(p.root, 'lnk'));
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    expect(compile(p)).toMatchObject({ compiled: 3 });
    expect(run(p)).toBe('1 2\n');
    p.write('include/a.h', '#define A 3\n');
    p.write('hdr/u.h', '#define U 4\n');
    expect(compile(p)).toMatchObject({ compiled: 2, linked: 1 });
    expect(run(p)).toBe('3 4\n');
  });

  it('plans the precompiled header an edit of a source\'s leading #includes calls for', async () => {
    const p = newProject({
      'replibuild.toml': TOML(['include']),
      'src/main.cpp': '#include "m.h"\n#include <cstdio>\nint a();\nint b();\nint main() { std::printf("%d %d\\n", a(), b()); }\n',
      'src/a.cpp': '#include <vector>\n#include <string>\nint a() { return (int)std::vector<std::string>(3).size(); }\n',
      'src/b.cpp': '#include "m.h"\nint b() { return M; }\n',
      'include/m.h': '#pragma once\n#define M 4\n',
    });
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    const gchs = () => (existsSync(join(p.root, 'build/.pch/app')) ? readdirSync(join(p.root, 'build/.pch/app')).filter((f) => f.endsWith('.gch')) : []);
    expect(compile(p)).toMatchObject({ compiled: 3 });
    // One TU starts with <vector>: only a prefix two TUs share is precompiled.
    expect(gchs()).toEqual([]);
    p.write('src/b.cpp', '#include <vector>\n#include <string>\n#include "m.h"\nint b() { return M + (int)std::vector<int>(1).size(); }\n');
    // Both users compile again, with the PCH.
    expect(compile(p)).toMatchObject({ compiled: 2, upToDate: 1, linked: 1 });
    expect(gchs()).toHaveLength(1);
    expect(run(p)).toBe('3 5\n');
  }, 120_000);

  it('an edit that adds a source plans in full and builds it', async () => {
    const p = newProject({ 'replibuild.toml': TOML([]), 'src/main.cpp': MAIN, 'src/a.cpp': 'int a() { return 1; }\n', 'src/b.cpp': 'int b() { return 2; }\n' });
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    expect(compile(p)).toMatchObject({ compiled: 3 });
    const before = editPlans(p);
    p.write('src/a.cpp', 'int c();\nint a() { return c(); }\n');
    p.write('src/c.cpp', 'int c() { return 7; }\n');
    expect(compile(p)).toMatchObject({ compiled: 2, upToDate: 2, linked: 1 });
    expect(run(p)).toBe('7 2\n');
    expect(editPlans(p)).toBe(before);
  });
});
