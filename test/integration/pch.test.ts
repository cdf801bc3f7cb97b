// Issue 17: automatic precompiled headers, through the real daemons, with g++ and
// clang++. After every step the program's output equals that of the same tree built
// with pch = "off" (a second project given the same edits).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPILERS, withCompilers, type CompilerPair } from '../helpers/compilers.js';
import { cliSync, projectsPerTest, type TestProject } from '../helpers/project.js';
import { settleInputs } from './cache-fixtures.js';

const project = projectsPerTest();
/** Each test builds two projects several times over; the machine may be shared. */
const SLOW = 300_000;

const TOML = (pch: string, extra = '') => `[project]
name = "pch"

[compiler]
pch = "${pch}"
include_dirs = ["include"]
flags = ["-isystem", "vendor"]
${extra}
[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
`;

const PREFIX = '#include <vector>\n#include <string>\n#include <lib.h>\n';
/** main, a and b share the prefix; def, order and ung do not start with it. */
const FILES: Record<string, string> = {
  'include/.keep': '',
  'vendor/lib.h': '#pragma once\n#include <string>\ninline std::string lib_name() { return "lib-v1"; }\n',
  'vendor/unguarded.h': 'inline int unguarded_value() { return 7; }\n',
  'src/main.cpp':
    `// the program\n${PREFIX}#include <cstdio>\n` +
    'int a(); int b(); int def(); int order(); int ung();\n' +
    'int main() { std::vector<int> v{a(), b(), def(), order(), ung()}; std::string s = lib_name();\n' +
    '  for (int x : v) s += " " + std::to_string(x);\n#ifdef EXTRA\n  s += " extra";\n#endif\n  std::puts(s.c_str()); return 0; }\n',
  'src/a.cpp': `${PREFIX}int a() { return (int)lib_name().size(); }\n`,
  'src/b.cpp': `/* b */\n${PREFIX}\nint b() { std::vector<std::string> v{"x", "y"}; return (int)v.size(); }\n`,
  'src/def.cpp': `#define WIDTH 3\n${PREFIX}int def() { return WIDTH; }\n`,
  'src/order.cpp': '#include <string>\n#include <vector>\n#include <lib.h>\nint order() { return (int)std::string("four").size(); }\n',
  'src/ung.cpp': '#include <vector>\n#include <unguarded.h>\n#include <string>\nint ung() { return unguarded_value(); }\n',
};
const USERS = ['src/a.cpp', 'src/b.cpp', 'src/main.cpp'];

interface Summary {
  compiled: number;
  cached: number;
  upToDate: number;
  failed: number;
}

/** Sources compiled by `compile -v` and whether each forced a PCH in. */
function compileVerbose(p: TestProject, extra: string[] = []): { out: string; withPch: string[]; plain: string[]; pchBuilds: number } {
  const r = cliSync(['compile', '-v', ...extra], p);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  const withPch: string[] = [];
  const plain: string[] = [];
  let pchBuilds = 0;
  for (const line of (r.stdout + r.stderr).split('\n')) {
    if (/ -x c\+\+-header -c build\/\.pch\//.test(line)) pchBuilds++;
    const m = / -c (src\/\S+\.cpp) /.exec(line);
    if (!m) continue;
    (line.includes(' -include build/.pch/app/') ? withPch : plain).push(m[1]!);
  }
  return { out: r.stdout + r.stderr, withPch: withPch.sort(), plain: plain.sort(), pchBuilds };
}

function compileJson(p: TestProject, extra: string[] = []): Summary {
  const r = cliSync(['compile', '--json', ...extra], p);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Summary;
}

const run = (p: TestProject) => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });
const gchs = (p: TestProject) => {
  const d = join(p.root, 'build/.pch/app');
  return existsSync(d) ? readdirSync(d).filter((f) => f.endsWith('.gch')) : [];
};

describe.each(COMPILERS.map((c) => [c.name, c] as const))('automatic precompiled headers (%s)', (_name, c: CompilerPair) => {
  /** The project under test (pch = "auto") and its reference (pch = "off"). */
  const pair = async (extra = '') => {
    const mk = (pch: string) => {
      const p = project({ ...FILES, 'replibuild.toml': TOML(pch, extra) });
      p.env = withCompilers(p.env, c);
      return p;
    };
    const auto = mk('auto');
    const off = mk('off');
    await settleInputs(); // sources written just now would not be stored in the cache
    expect(cliSync(['start'], auto).code).toBe(0);
    expect(cliSync(['start'], off).code).toBe(0);
    return { auto, off, both: (f: (p: TestProject) => void) => [auto, off].forEach(f) };
  };
  const same = (auto: TestProject, off: TestProject) => {
    compileJson(off);
    const expected = run(off);
    expect(run(auto)).toBe(expected);
    return expected;
  };

  it('only TUs starting with the shared guarded prefix use it; a header edit inside it rebuilds it and its readers; output as with pch = "off"', async () => {
    const { auto, off, both } = await pair();
    const first = compileVerbose(auto);
    expect(first.pchBuilds).toBe(1);
    expect(first.withPch).toEqual(USERS);
    // A #define first, another order, an unguarded header in the way: compiled as written.
    expect(first.plain).toEqual(['src/def.cpp', 'src/order.cpp', 'src/ung.cpp']);
    expect(gchs(auto)).toHaveLength(1);
    expect(same(auto, off)).toBe('lib-v1 6 2 3 4 7\n');
    expect(existsSync(join(off.root, 'build/.pch'))).toBe(false);

    expect(compileJson(auto)).toMatchObject({ compiled: 0, upToDate: 6 });
    // status and the report say which target uses one.
    const status = cliSync(['status'], auto);
    expect(status.stdout).toMatch(/precompiled_headers=app: 3 TUs/);
    const report = cliSync(['report', '1'], auto);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(report.stdout.trim().split('\n').pop()!, 'utf8');
    expect(html).toContain('<h2>Precompiled headers</h2>');
    expect(html).toMatch(/build\/\.pch\/app\/[0-9a-f]{16}\.h/);

    await settleInputs();
    both((p) => p.write('vendor/lib.h', '#pragma once\n#include <string>\ninline std::string lib_name() { return "lib-v2!"; }\n'));
    const edit = compileVerbose(auto);
    expect(edit.pchBuilds).toBe(1);
    // The PCH's users, and the TUs that include lib.h without it; not ung.cpp.
    expect([...edit.withPch, ...edit.plain].sort()).toEqual([...USERS, 'src/def.cpp', 'src/order.cpp'].sort());
    expect(edit.withPch).toEqual(USERS);
    expect(same(auto, off)).toBe('lib-v2! 7 2 3 4 7\n');
  }, SLOW);

  it('a header that shadows one in the prefix, and a flag change, make a new PCH; output as with pch = "off"', async () => {
    const { auto, off, both } = await pair();
    compileVerbose(auto);
    const before = gchs(auto);
    same(auto, off);

    // include/ (-I) comes before vendor/ (-isystem): the project's lib.h now wins. It is
    // a project header, so the prefix stops before it: a new, shorter PCH.
    await settleInputs();
    both((p) => p.write('include/lib.h', '#pragma once\n#include <string>\ninline std::string lib_name() { return "shadow"; }\n'));
    const shadowed = compileVerbose(auto);
    expect(shadowed.pchBuilds).toBe(1);
    expect(shadowed.withPch).toEqual(USERS);
    expect(gchs(auto).filter((g) => !before.includes(g))).toHaveLength(1);
    expect(same(auto, off)).toBe('shadow 6 2 3 4 7\n');

    both((p) => p.write('replibuild.toml', TOML(p === auto ? 'auto' : 'off', 'defines = ["EXTRA"]')));
    const flagged = compileVerbose(auto);
    expect(flagged.pchBuilds).toBe(1);
    expect(flagged.withPch).toEqual(USERS);
    expect(same(auto, off)).toBe('shadow 6 2 3 4 7 extra\n');
  }, SLOW);

  it('a PCH that cannot be built leaves a correct build; a warm clean rebuild restores the PCH from the cache, and a user compiled after it uses that PCH', async () => {
    const { auto, off, both } = await pair();
    compileVerbose(auto);
    const gch = join(auto.root, 'build/.pch/app', gchs(auto)[0]!);

    // The .gch cannot be written (a directory holds its name): its users compile without it.
    rmSync(gch);
    mkdirSync(gch);
    writeFileSync(join(gch, 'x'), '');
    const failed = compileVerbose(auto);
    expect(failed.pchBuilds).toBe(1);
    expect(failed.withPch).toEqual([]);
    expect(failed.plain).toEqual(USERS);
    expect(failed.out).toContain('did not compile; its users compile without it');
    expect(same(auto, off)).toBe('lib-v1 6 2 3 4 7\n');
    // Not tried again while nothing changed.
    expect(compileJson(auto)).toMatchObject({ compiled: 0, upToDate: 6 });
    rmSync(gch, { recursive: true });

    // A clean rebuild compiles the PCH again; the one after it is all from the cache.
    expect(cliSync(['clean'], auto).code).toBe(0);
    await settleInputs();
    const rebuilt = compileVerbose(auto);
    expect(rebuilt.withPch).toEqual(USERS);
    await settleInputs();
    expect(cliSync(['clean'], auto).code).toBe(0);
    expect(compileJson(auto)).toMatchObject({ compiled: 0, cached: 6 });
    expect(gchs(auto)).toHaveLength(1);
    expect(same(auto, off)).toBe('lib-v1 6 2 3 4 7\n');

    // A user compiled for real against the restored PCH: clang refuses a PCH whose
    // header's mtime moved, and the header was written again in the fresh build dir.
    both((p) => p.write('src/a.cpp', `${PREFIX}int a() { return (int)lib_name().size() + 1; }\n`));
    const edited = compileVerbose(auto);
    expect(edited.out).toMatch(/Compiled +src\/a\.cpp/);
    expect(edited.withPch).toEqual(USERS);
    expect(edited.out).not.toContain('was not accepted');
    expect(same(auto, off)).toBe('lib-v1 7 2 3 4 7\n');
  }, SLOW);
});
