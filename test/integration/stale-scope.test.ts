// Never a stale binary, wherever an include dir lies: inside the project, outside it,
// around it (".."), the project root itself ("."), or a symlink to any of those; and
// when the daemons started on a config that was invalid at the time. Through the real
// daemons and the real g++; the program's output is the ground truth, and the in-process
// build (--no-daemon) must agree with the daemons' answer afterwards.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StatusReport } from '../../protocol/status.js';
import { compileJson, type CompileJson, cliSync, projectsPerTest, type TestProject } from '../helpers/project.js';

const newProject = projectsPerTest();

const compile = (p: TestProject, ...extra: string[]) => compileJson(p, extra, { ok: true });
type Summary = CompileJson;

/** Compiled or served by the compile cache: either way not taken as up to date. */
const rebuilt = (s: Summary) => s.compiled + s.cached;
const run = (p: TestProject) => execFileSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' });

/** Builds the orchestrator answered from the journal alone (its fast path). */
function noops(p: TestProject): number {
  const report = JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
  return report.daemons.find((d) => d.name === 'orchestrator')!.details.noop_builds as number;
}

/** A directory changed within ~2 s of a build is looked at again by the next build
 *  whatever its stat says; past that, only its stat (or the journal) stands between a
 *  new shadowing header and a stale binary. Waited out once, so the fast path is what
 *  the later steps test. */
const settle = () => new Promise((r) => setTimeout(r, 2200));

const toml = (includeDirs: string[]) =>
  `[project]\nname = "t"\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n` +
  `include_dirs = ${JSON.stringify(includeDirs)}\n`;

const MAIN = '#include <cstdio>\n#include "e.h"\n#include "v.h"\nint main() { std::printf("%d %d\\n", E, V); return 0; }\n';
const def = (name: string, v: number) => `#pragma once\n#define ${name} ${v}\n`;

/** The directory a project's parent holds for "outside" headers (removed with the project). */
const outside = (p: TestProject) => join(dirname(p.root), 'ext');

function write(abs: string, content: string): void {
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, content);
}

describe('item 1: daemons started on a config invalid until a source appears', () => {
  it('sees an edited outside header and a new outside header that shadows include/v.h', () => {
    const p = newProject({ 'src/.keep': '' });
    rmSync(join(p.root, 'src/main.cpp')); // the helper's default source: src/ must match nothing
    const ext = outside(p);
    write(join(ext, 'e.h'), def('E', 1));
    p.write('include/v.h', def('V', 1));
    p.write('replibuild.toml', toml([ext, 'include']));

    const start = cliSync(['start'], p);
    expect(start.code, start.stderr).toBe(0);
    // The glob matches nothing yet: a build now is refused with the config error.
    const refused = cliSync(['compile'], p);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toMatch(/matches no files/);

    p.write('src/main.cpp', MAIN);
    expect(rebuilt(compile(p))).toBe(1);
    expect(run(p)).toBe('1 1\n');

    write(join(ext, 'e.h'), def('E', 2));
    expect(rebuilt(compile(p))).toBe(1);
    expect(run(p)).toBe('2 1\n');

    write(join(ext, 'v.h'), def('V', 3));
    expect(rebuilt(compile(p))).toBe(1);
    expect(run(p)).toBe('2 3\n');

    expect(compile(p)).toMatchObject({ ok: true, compiled: 0, cached: 0 });
    expect(compile(p, '--no-daemon')).toMatchObject({ ok: true, compiled: 0, cached: 0 });
    expect(run(p)).toBe('2 3\n');

    // Discovery re-derived its scope from the config that became valid: it watches ext now.
    const log = readFileSync(join(p.root, '.replibuild/daemon_logs/discovery.log'), 'utf8');
    expect(log).toMatch(new RegExp(`watching \\d+ files under [^\\n]*${ext}`));
  });
});

describe('item 2: an include dir that contains the project', () => {
  it('include_dirs = ["..", "include"]: a new ../v.h shadows include/v.h', async () => {
    const p = newProject({ 'src/main.cpp': MAIN, 'include/v.h': def('V', 1) });
    write(join(dirname(p.root), 'e.h'), def('E', 1));
    p.write('replibuild.toml', toml(['..', 'include']));
    expect(cliSync(['start'], p).code).toBe(0);
    expect(rebuilt(compile(p))).toBe(1);
    expect(run(p)).toBe('1 1\n');
    await settle();
    expect(compile(p)).toMatchObject({ compiled: 0, cached: 0 });
    const fast = noops(p);
    expect(compile(p)).toMatchObject({ compiled: 0, cached: 0 });
    expect(noops(p)).toBe(fast + 1);

    write(join(dirname(p.root), 'v.h'), def('V', 2));
    expect(rebuilt(compile(p))).toBe(1);
    expect(run(p)).toBe('1 2\n');
    expect(compile(p, '--no-daemon')).toMatchObject({ ok: true, compiled: 0, cached: 0 });
  });
});

interface Shape {
  name: string;
  /** The include dir as replibuild.toml names it (before "include"). */
  includeDir: (p: TestProject) => string;
  /** Where its headers really are. */
  filesIn: (p: TestProject) => string;
  /** Makes the dir (and the link) exist. */
  make?: (p: TestProject) => void;
}

const link = (target: (p: TestProject) => string) => (p: TestProject) => symlinkSync(target(p), join(p.root, 'lnk'));

const SHAPES: Shape[] = [
  { name: 'inside the project', includeDir: () => 'hdr', filesIn: (p) => join(p.root, 'hdr') },
  { name: 'outside the project', includeDir: (p) => outside(p), filesIn: outside },
  { name: 'containing the project (..)', includeDir: () => '..', filesIn: (p) => dirname(p.root) },
  { name: 'the project root (.)', includeDir: () => '.', filesIn: (p) => p.root },
  { name: 'a symlink to a dir inside', includeDir: () => 'lnk', filesIn: (p) => join(p.root, 'hdr'), make: link(() => 'hdr') },
  { name: 'a symlink to a dir outside', includeDir: () => 'lnk', filesIn: outside, make: link(outside) },
  { name: 'a symlink to the dir containing the project', includeDir: () => 'lnk', filesIn: (p) => dirname(p.root), make: link(() => '..') },
  { name: 'a symlink to the project root', includeDir: () => 'lnk', filesIn: (p) => p.root, make: link(() => '.') },
];

describe('include-dir shapes: edit, shadow, touch', () => {
  it.each(SHAPES)('$name', async (shape) => {
    const p = newProject({ 'src/main.cpp': MAIN, 'include/v.h': def('V', 1) });
    const dir = shape.filesIn(p);
    write(join(dir, 'e.h'), def('E', 1));
    shape.make?.(p);
    p.write('replibuild.toml', toml([shape.includeDir(p), 'include']));
    const start = cliSync(['start'], p);
    expect(start.code, start.stderr).toBe(0);

    expect(rebuilt(compile(p))).toBe(1);
    expect(run(p)).toBe('1 1\n');
    await settle();
    expect(compile(p)).toMatchObject({ ok: true, compiled: 0, cached: 0 });
    const fast = noops(p);
    expect(compile(p)).toMatchObject({ ok: true, compiled: 0, cached: 0 });
    expect(noops(p), 'a no-op takes the fast path').toBe(fast + 1);

    // An edit of the included header.
    write(join(dir, 'e.h'), def('E', 2));
    expect(rebuilt(compile(p)), 'edited header').toBe(1);
    expect(run(p)).toBe('2 1\n');

    // A touch that changes no content recompiles nothing.
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, 'e.h'), later, later);
    expect(compile(p), 'touched header').toMatchObject({ ok: true, compiled: 0, cached: 0 });
    const fast2 = noops(p);
    expect(compile(p)).toMatchObject({ ok: true, compiled: 0, cached: 0 });
    expect(noops(p), 'the point before the shadowing header is a fast-path one').toBe(fast2 + 1);

    // A new header that the compiler now finds before include/v.h.
    write(join(dir, 'v.h'), def('V', 3));
    expect(rebuilt(compile(p)), 'shadowing header').toBe(1);
    expect(run(p)).toBe('2 3\n');
    expect(compile(p)).toMatchObject({ ok: true, compiled: 0, cached: 0 });

    // The in-process build agrees that this is up to date.
    expect(compile(p, '--no-daemon')).toMatchObject({ ok: true, compiled: 0, cached: 0 });
    expect(run(p)).toBe('2 3\n');
    expect(readdirSync(join(p.root, 'build/bin'))).toEqual(['app']);
  });
});
