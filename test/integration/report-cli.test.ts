// Issue 15: `report --open` hands the page to xdg-open, or says what to do without
// one; naming a build that is not kept, or asking before any build, is a clear error.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSync, projectsPerTest, waitFor } from '../helpers/project.js';

const project = projectsPerTest();

describe('report and why on the command line', () => {
  it('say there is no trace before the first build, and which builds there are after', () => {
    const p = project();
    for (const cmd of [['why'], ['report']]) {
      const r = cliSync(cmd, p);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('replibuild: no build trace yet: run `replibuild compile` first (traces are kept in .replibuild/traces)\n');
    }
    expect(cliSync(['compile', '--no-daemon'], p).code).toBe(0);
    expect(cliSync(['compile', '--no-daemon'], p).code).toBe(0);
    const r = cliSync(['report', '7'], p);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('replibuild: no build trace 7: the kept ones are 1–2 (`last`, `last-1`, ... or an id)\n');
    expect(cliSync(['why', '--build', 'last-1'], p).stdout).toMatch(/^build 1 .*: 1 of 1 TUs rebuilt, ok in /);
    expect(cliSync(['report', 'last-1'], p).stdout.trim()).toBe(join(p.root, '.replibuild/reports/build-1.html'));
    // A build that stopped before planning is the last build all the same, and says why.
    expect(cliSync(['compile', '--no-daemon', 'nosuch'], p).code).toBe(1);
    expect(cliSync(['why'], p).stdout).toMatch(/^build 3 .*: stopped before anything was built, failed in .*\nfailed: unknown target "nosuch": replibuild\.toml defines "app"\nnothing was rebuilt\nthe last build that rebuilt something is 1: replibuild why --build 1\n$/);
  });

  it('--open runs xdg-open on the page; without one it prints the path and says to open it', async () => {
    const p = project();
    expect(cliSync(['compile', '--no-daemon'], p).code).toBe(0);
    // An opener of our own on PATH, recording what it was given.
    const bin = join(p.root, '..', 'bin');
    mkdirSync(bin);
    const got = join(p.root, '..', 'opened.txt');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > ${JSON.stringify(got)}\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const withOpener = cliSync(['report', '--open'], { root: p.root, env: { ...p.env, PATH: `${bin}:${p.env.PATH}` } });
    expect(withOpener.code).toBe(0);
    const page = withOpener.stdout.trim();
    await waitFor(() => existsSync(got), 10_000, 'the opener to run');
    expect(readFileSync(got, 'utf8')).toBe(page);

    const none = cliSync(['report', '--open', '--trace'], { root: p.root, env: { ...p.env, PATH: '/nonexistent' } });
    expect(none.code).toBe(0);
    const json = none.stdout.trim();
    expect(json).toBe(join(p.root, '.replibuild/reports/build-1.trace.json'));
    expect(none.stderr).toBe(`replibuild: no xdg-open on PATH to open it; open ${json} in a browser\n`);
  });
});
