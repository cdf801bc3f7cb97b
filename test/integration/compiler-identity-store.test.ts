// Issue 16: a `--no-daemon` build keeps the compiler's identity in the project's
// state (.replibuild/state/compilers.json), so its no-op does not spawn the
// compiler three times to learn what it already knew. The stored identity must
// die with the binary it describes: a wrapper script replaced (new inode) or
// rewritten in place at the same size is probed again and everything rebuilds.
// Real g++ behind a real wrapper script, through the real CLI, in-process.
import { chmodSync, existsSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileJson, projectsPerTest, type TestProject } from '../helpers/project.js';

const project = projectsPerTest();

const build = (p: TestProject) => compileJson(p, ['--no-daemon'], { ok: true });

/** A compiler that is a script: it logs each identity probe, then runs g++. `tag`
 *  changes the script's bytes (and so its identity) without changing its size. */
function wrapper(log: string, tag: string): string {
  return `#!/bin/sh\ncase "$1" in --version|-dump*) echo "probe ${tag} $1" >> '${log}' ;; esac\nexec g++ "$@"\n`;
}

const probes = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').length : 0);

describe('compiler identity kept between --no-daemon builds', () => {
  it('is reused while the binary is unchanged, and dropped when it is replaced or edited in place', () => {
    const p = project({
      'replibuild.toml': `[project]\nname = "t"\n\n[compiler]\ncxx = "./cxx.sh"\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n`,
      'src/a.cpp': 'int a() { return 1; }\n',
    });
    const cxx = join(p.root, 'cxx.sh');
    const log = join(p.root, 'probes.log');
    writeFileSync(cxx, wrapper(log, 'A'));
    chmodSync(cxx, 0o755);

    const first = build(p);
    expect(first.compiled + first.cached).toBe(2);
    const probed = probes(log);
    expect(probed).toBeGreaterThanOrEqual(3); // --version, -dumpfullversion, -dumpmachine
    const store = join(p.root, '.replibuild/state/compilers.json');
    expect(statSync(store).mode & 0o777).toBe(0o600);

    // A new process, the same binary: the stored identity answers, no compiler runs.
    const noop = build(p);
    expect(noop).toMatchObject({ compiled: 0, cached: 0, upToDate: 2 });
    expect(probes(log)).toBe(probed);

    // Replaced (a new file renamed over it: a new inode), different bytes.
    const next = `${cxx}.new`;
    writeFileSync(next, wrapper(log, 'B'));
    chmodSync(next, 0o755);
    renameSync(next, cxx);
    const afterReplace = build(p);
    expect(afterReplace.upToDate, 'a new compiler rebuilds every TU').toBe(0);
    expect(afterReplace.compiled + afterReplace.cached).toBe(2);
    const probedB = probes(log);
    expect(probedB).toBeGreaterThan(probed);
    expect(build(p)).toMatchObject({ compiled: 0, upToDate: 2 });

    // Rewritten in place at the same size, its mtime put back: only ctime tells.
    const before = statSync(cxx);
    writeFileSync(cxx, wrapper(log, 'C'));
    utimesSync(cxx, before.atime, before.mtime);
    expect(statSync(cxx).size).toBe(before.size);
    expect(statSync(cxx).ino).toBe(before.ino);
    const afterEdit = build(p);
    expect(probes(log)).toBeGreaterThan(probedB);
    expect(readFileSync(log, 'utf8')).toMatch(/probe C --version/);
    // Same size, mtime and inode: the identity's fields are unchanged, so the build
    // state rightly sees the same compiler; what matters is that it was asked again.
    expect(afterEdit.ok).toBe(true);
  });

  it('ignores a stored entry that does not hash to its id (torn or edited by hand)', () => {
    const p = project();
    build(p);
    const store = join(p.root, '.replibuild/state/compilers.json');
    const s = JSON.parse(readFileSync(store, 'utf8')) as { entries: Record<string, { identity: { version: string } }> };
    const [path] = Object.keys(s.entries);
    s.entries[path!]!.identity.version = '99.0.0';
    writeFileSync(store, JSON.stringify(s));
    expect(build(p)).toMatchObject({ compiled: 0, upToDate: 1 });
    const again = JSON.parse(readFileSync(store, 'utf8')) as typeof s;
    expect(again.entries[path!]!.identity.version).not.toBe('99.0.0');
  });
});
