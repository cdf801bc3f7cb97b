// Issue 17: the no-op right after a build that made a precompiled header takes the
// journal's fast path (its PCH dir, just written, is no racy input: journal-point.ts),
// and still sees an edit of a header inside the PCH that no TU's depfile names (the
// users' depfiles name the .gch, not what it was made from) in a dir discovery does not watch.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJson, cliSync, projectsPerTest, type TestProject } from '../helpers/project.js';
import { requestsDuring } from '../helpers/requests.js';

const newProject = projectsPerTest();

const compile = (p: TestProject) => compileJson(p, [], { ok: true });

/** A planned build asks the compilation daemon at least its concurrency, a fast-path no-op nothing. */
const compilationRequestsDuring = (p: TestProject, fn: () => void) => requestsDuring(p, 'compilation', fn);

/** Past the racy window of directory stamps (journal-point.ts, 2 s): the dirs the test
 *  made just now would be racy, and the no-op would plan whatever the build did. */
const pastRacyWindow = () => new Promise((r) => setTimeout(r, 2300));

const PREFIX = '#include <vector>\n#include <string>\n#include <ext.h>\n';

describe('the no-op after a build that made a precompiled header', () => {
  it('takes the fast path at once, and still sees an edit inside the PCH outside the project', { timeout: 300_000 }, async () => {
    const p = newProject({
      'src/main.cpp': `${PREFIX}#include <cstdio>\nint a(); int b();\nint main() { std::printf("%d %d %d\\n", a(), b(), ext_value()); return 0; }\n`,
      'src/a.cpp': `${PREFIX}int a() { return (int)std::vector<int>{1, 2}.size(); }\n`,
      'src/b.cpp': `${PREFIX}int b() { return (int)std::string("abc").size(); }\n`,
    });
    // Outside the project root: discovery does not watch it; the no-op hashes what the TUs read there.
    const ext = join(p.root, '..', 'ext');
    mkdirSync(ext);
    writeFileSync(join(ext, 'ext.h'), '#pragma once\n#include "ext_detail.h"\n');
    writeFileSync(join(ext, 'ext_detail.h'), '#pragma once\ninline int ext_value() { return 1; }\n');
    p.write('replibuild.toml', p.read('replibuild.toml').replace('[targets.app]', `[compiler]\nflags = ["-isystem", ${JSON.stringify(ext)}]\n\n[targets.app]`));
    expect(cliSync(['start'], p).code).toBe(0);
    await pastRacyWindow();
    const run = () => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });

    expect(compile(p)).toMatchObject({ ok: true, compiled: 3, linked: 1 });
    const gchs = readdirSync(join(p.root, 'build/.pch/app')).filter((f) => f.endsWith('.gch'));
    expect(gchs).toHaveLength(1);
    expect(run()).toBe('2 3 1\n');

    // Right after: the PCH dir and the .gch were written within the racy window.
    expect(compilationRequestsDuring(p, () => expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 3 }))).toBe(0);

    // A header the PCH was made from, named by no user's depfile: the PCH and its users rebuild.
    writeFileSync(join(ext, 'ext_detail.h'), '#pragma once\ninline int ext_value() { return 22; }\n');
    expect(compile(p)).toMatchObject({ ok: true, compiled: 3, linked: 1 });
    expect(run()).toBe('2 3 22\n');
    expect(compilationRequestsDuring(p, () => expect(compile(p)).toMatchObject({ compiled: 0, upToDate: 3 }))).toBe(0);

    // The .gch is an output: gone, the no-op plans, and the build makes it again.
    rmSync(join(p.root, 'build/.pch/app', gchs[0]!));
    const again = compile(p);
    expect(again.ok).toBe(true);
    expect(readdirSync(join(p.root, 'build/.pch/app'))).toContain(gchs[0]);
    expect(run()).toBe('2 3 22\n');
  });
});
