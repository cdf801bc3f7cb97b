// Issue 15's first hour, as a new user meets it: what the CLI says must be true.
// Links say whether they ran, came from the cache or were not needed, and the
// cache's counters agree; `-C DIR` goes before or after any command, with make's
// Entering-directory lines from elsewhere; -j is checked; a failed start leaves
// nothing running and shows only its own log lines; `cache stats --zero`.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import { REPO, cliSync, pidAlive, projectsPerTest, readRecordFile, type TestProject, dropState } from '../helpers/project.js';

const project = projectsPerTest();

function staticLib(): TestProject {
  const p = project();
  rmSync(join(p.root, 'src'), { recursive: true });
  cpSync(join(REPO, 'examples/static-lib'), p.root, { recursive: true });
  return p;
}

function stats(p: TestProject): { link_hits: number; link_misses: number; hits: number; misses: number } {
  const r = cliSync(['cache', 'stats', '--json'], p);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Runs the CLI with `cwd` as its working directory instead of the project root. */
const from = (p: TestProject, cwd: string) => ({ root: cwd, env: p.env });

describe('links say what happened, and cache stats agree', () => {
  for (const mode of ['daemons', 'no-daemon'] as const) {
    it(`linked, not relinked (inputs unchanged), from cache (${mode})`, () => {
      const p = staticLib();
      const flags = mode === 'no-daemon' ? ['--no-daemon'] : [];
      if (mode === 'daemons') expect(cliSync(['start'], p).code).toBe(0);

      const cold = cliSync(['compile', ...flags], p);
      expect(cold.code, cold.stderr).toBe(0);
      expect(cold.stdout).toMatch(/^Linking\.\.\. build\/lib\/libmathlib\.a \(\d+\.\d\ds\)$/m);
      expect(cold.stdout).toMatch(/^Linking\.\.\. build\/bin\/calc \(\d+\.\d\ds\)$/m);
      expect(cold.stdout).toMatch(/\[0% cached\]/);
      expect(stats(p)).toMatchObject({ link_hits: 0, link_misses: 2 });

      // A new comment line: the TU compiles again (its text moved), its object comes out
      // identical, so neither link runs nor asks the cache.
      writeFileSync(join(p.root, 'src/mathlib/mean.cpp'), readFileSync(join(p.root, 'src/mathlib/mean.cpp'), 'utf8') + '\n// a note\n');
      const edit = cliSync(['compile', ...flags], p);
      expect(edit.code, edit.stderr).toBe(0);
      expect(edit.stdout).toMatch(/Compiled +src\/mathlib\/mean\.cpp/);
      expect(edit.stdout).toMatch(/^Linking\.\.\. build\/lib\/libmathlib\.a: not relinked \(inputs unchanged\)$/m);
      expect(edit.stdout).toMatch(/^Linking\.\.\. build\/bin\/calc: not relinked \(inputs unchanged\)$/m);
      expect(edit.stdout).not.toMatch(/cached\)/);
      expect(edit.stdout).toMatch(/\[0% cached\]/);
      expect(stats(p)).toMatchObject({ link_hits: 0, link_misses: 2 });

      rmSync(join(p.root, 'build'), { recursive: true });
      dropState(p.root);
      const wiped = cliSync(['compile', ...flags], p);
      expect(wiped.code, wiped.stderr).toBe(0);
      expect(wiped.stdout).toMatch(/^Linking\.\.\. build\/lib\/libmathlib\.a \(from cache\) \(\d+\.\d\ds\)$/m);
      expect(wiped.stdout).toMatch(/^Linking\.\.\. build\/bin\/calc \(from cache\) \(\d+\.\d\ds\)$/m);
      expect(wiped.stdout).toMatch(/\[100% cached\]/);
      expect(stats(p)).toMatchObject({ link_hits: 2, link_misses: 2 });
    }, 90_000);
  }
});

describe('cache stats --zero', () => {
  it('sets every counter to zero, a running daemon\'s counts included, and keeps the entries', () => {
    const p = staticLib();
    expect(cliSync(['start'], p).code).toBe(0);
    expect(cliSync(['compile'], p).code).toBe(0);
    const before = stats(p) as ReturnType<typeof stats> & { entries: number };
    expect(before.misses).toBe(3);
    const z = cliSync(['cache', 'stats', '--zero'], p);
    expect(z.code, z.stderr).toBe(0);
    expect(z.stdout).toContain(`cache statistics zeroed (${p.cacheDir})`);
    const after = stats(p) as ReturnType<typeof stats> & { entries: number };
    expect(after).toMatchObject({ hits: 0, misses: 0, link_hits: 0, link_misses: 0, entries: before.entries });
    // Counting goes on from zero.
    rmSync(join(p.root, 'build'), { recursive: true });
    dropState(p.root);
    expect(cliSync(['compile'], p).code).toBe(0);
    expect(stats(p)).toMatchObject({ hits: 3, misses: 0, link_hits: 2 });
  }, 90_000);
});

describe('-C DIR before or after the command, and Entering directory', () => {
  it('every command takes -C DIR before it (make and ninja style) as well as after', () => {
    const p = project();
    const outside = dirname(p.root);
    const run = (args: string[]) => {
      const r = cliSync(args, from(p, outside));
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/unknown option|Usage:/);
      return r;
    };
    run(['-C', p.root, 'start']);
    run(['-C', 'proj', 'status']); // relative to where it is run, as make's -C is
    run([`-C${p.root}`, 'ensure']);
    const built = run(['-C', p.root, 'compile']);
    expect(built.stdout).toContain(`replibuild: Entering directory '${p.root}'`);
    expect(built.stdout.trimEnd().split('\n').at(-1)).toBe(`replibuild: Leaving directory '${p.root}'`);
    run(['--dir', p.root, 'compile', '-C', '.']); // the command's -C is relative to the first
    run(['-C', p.root, 'run', 'app']);
    run(['-C', p.root, 'logs', '-n', '1']);
    expect(run(['-C', p.root, 'cache', 'dir']).stdout.trim()).toBe(p.cacheDir);
    run(['-C', p.root, 'cache', 'stats']);
    run([`--dir=${p.root}`, 'clean']);
    run(['compile', '-C', p.root]);
    run(['-C', p.root, 'stop']);
    const missing = cliSync(['-C', join(outside, 'nope'), 'compile'], from(p, outside));
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim()).toBe(`replibuild: -C ${join(outside, 'nope')}: no such directory`);
    const bare = cliSync(['-C'], from(p, outside));
    expect(bare.code).toBe(2);
    expect(bare.stderr.trim()).toBe('replibuild: -C needs a directory: replibuild -C DIR COMMAND');
  }, 90_000);

  it('from a subdirectory, compile prints Entering and Leaving around root-relative diagnostics; from the root or with --json, not', () => {
    const p = project({ 'src/bad.cpp': 'int f() { return undefined_name; }\n' });
    const sub = join(p.root, 'src');
    const r = cliSync(['compile', '--no-daemon'], from(p, sub));
    expect(r.code).toBe(1);
    expect(r.stdout.split('\n')[0]).toBe(`replibuild: Entering directory '${p.root}'`);
    expect(r.stdout.trimEnd().split('\n').at(-1)).toBe(`replibuild: Leaving directory '${p.root}'`);
    // The compiler's path, relative to the root the Entering line named.
    expect(r.stderr).toMatch(/^src\/bad\.cpp:1:\d+: error: /m);
    const atRoot = cliSync(['compile', '--no-daemon'], p);
    expect(atRoot.stdout).not.toContain('Entering directory');
    const json = cliSync(['compile', '--no-daemon', '--json'], from(p, sub));
    expect(() => JSON.parse(json.stdout)).not.toThrow();
  }, 60_000);
});

describe('-j', () => {
  it('-j abc is an error naming the value; a bare -j (make\'s habit) builds with one job per core, without the help page', () => {
    const p = project();
    for (const args of [['compile', '-j', 'abc'], ['compile', '-jabc'], ['compile', '--jobs=x'], ['watch', '-j', 'abc']]) {
      const r = cliSync(args, p);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('-j takes a number of parallel jobs, not "');
      expect(r.stderr).not.toMatch(/Usage:/);
    }
    for (const args of [['compile', '--no-daemon', '-j'], ['compile', '-j', '--no-daemon'], ['compile', '-j', '--no-daemon', '--verbose', '-k'], ['run', 'app', '--no-daemon']]) {
      const r = cliSync(args, p);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/Usage:/);
    }
  }, 60_000);
});

describe('a start whose port is taken', () => {
  it('starts none: the daemons it started before are stopped again, and only this start\'s log lines are shown', async () => {
    const taken: Server = createServer();
    await new Promise<void>((res) => taken.listen(0, '127.0.0.1', () => res()));
    try {
      const port = (taken.address() as { port: number }).port;
      const config = DAEMON_NAMES.map((n) => `[daemons.${n}]\nport = ${n === 'compilation' ? port : 0}\n`).join('');
      const p = project({}, config);
      const pidsSeen: number[][] = [];
      for (let attempt = 0; attempt < 2; attempt++) {
        const r = cliSync(['start'], p);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`compilation daemon failed to start: port ${port} is already in use`);
        const started = [...r.stdout.matchAll(/^(setup|discovery) +started +pid (\d+)/gm)].map((m) => Number(m[2]));
        expect(started).toHaveLength(2);
        pidsSeen.push(started);
        for (const pid of started) expect(pidAlive(pid), `pid ${pid} left running`).toBe(false);
        for (const n of DAEMON_NAMES) expect(readRecordFile(p.root, n)).toBeNull();
        expect(r.stdout).toMatch(/setup: stopped again \(pid \d+\), since the start failed/);
        // The tail shows this attempt's compilation daemon only: one pid in its lines.
        const tail = r.stderr.slice(r.stderr.indexOf('last lines of its log:'));
        const logPids = new Set([...tail.matchAll(/\[compilation:(\d+)\]/g)].map((m) => m[1]));
        expect(logPids.size).toBe(1);
      }
      expect(pidsSeen[0]).not.toEqual(pidsSeen[1]);
      // The log itself holds both attempts.
      const log = readFileSync(join(p.root, '.replibuild/daemon_logs/compilation.log'), 'utf8');
      expect(new Set([...log.matchAll(/\[compilation:(\d+)\]/g)].map((m) => m[1])).size).toBe(2);
    } finally {
      await new Promise<void>((res) => taken.close(() => res()));
    }
  }, 90_000);
});
