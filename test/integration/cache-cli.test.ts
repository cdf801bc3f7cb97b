// Issue 4 through the CLI: after `rm -rf build`, every TU and link comes from
// the cache with no compiler or linker run; the cache commands; sharing across
// checkouts. Compiler and ar are wrapped by scripts that log every invocation.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, cliSync, type TestProject, projectsPerTest, dropState } from '../helpers/project.js';

const project = projectsPerTest();

/** The static-lib example, with g++ and ar replaced by logging wrappers. */
function wrappedProject(): TestProject & { log: string; invocations(): string[] } {
  const p = project();
  rmSync(join(p.root, 'src'), { recursive: true });
  cpSync(join(REPO, 'examples/static-lib'), p.root, { recursive: true });
  const bin = join(p.root, '..', 'wrappers');
  mkdirSync(bin);
  const log = join(p.root, '..', 'tool.log');
  for (const [name, real] of [
    ['g++', execFileSync('sh', ['-c', 'command -v g++'], { encoding: 'utf8' }).trim()],
    ['ar', execFileSync('sh', ['-c', 'command -v ar'], { encoding: 'utf8' }).trim()],
  ]) {
    const w = join(bin, name);
    writeFileSync(w, `#!/bin/sh\necho "${name} $*" >> "${log}"\nexec "${real}" "$@"\n`);
    chmodSync(w, 0o755);
  }
  p.env.PATH = `${bin}:${p.env.PATH}`;
  p.env.CXX = 'g++';
  return {
    ...p,
    log,
    invocations: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .filter((l) => !/-dumpfullversion|-dumpmachine|-dumpversion|-print-prog-name|--version$/.test(l))
        : [],
  };
}

function json(p: TestProject, args: string[]) {
  const r = cliSync(args, p);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

for (const mode of ['daemons', 'no-daemon'] as const) {
  it(`rm -rf build: every TU and link from the cache, no compiler or linker run (${mode})`, () => {
    const p = wrappedProject();
    const flags = mode === 'no-daemon' ? ['--no-daemon'] : [];
    if (mode === 'daemons') expect(cliSync(['start'], p).code).toBe(0);
    expect(json(p, ['compile', '--json', ...flags])).toMatchObject({ compiled: 3, linked: 2, failed: 0 });
    expect(p.invocations().some((l) => l.startsWith('g++') && l.includes(' -c '))).toBe(true);
    expect(p.invocations().some((l) => l.startsWith('ar '))).toBe(true);
    rmSync(join(p.root, 'build'), { recursive: true });
    rmSync(p.log);
    expect(json(p, ['compile', '--json', ...flags])).toMatchObject({ compiled: 0, cached: 3, failed: 0 });
    expect(p.invocations()).toEqual([]);
    expect(execFileSync(join(p.root, 'build/bin/calc'), { encoding: 'utf8' })).toBe('mean=3 stddev=1.41421\n');
    const stats = json(p, ['cache', 'stats', '--json']);
    expect(stats.hits).toBeGreaterThanOrEqual(3);
    expect(stats.misses).toBe(3);
    expect(stats).toHaveProperty('uncacheable');
    expect(stats).toHaveProperty('errors');
    expect(stats.size_bytes).toBeGreaterThan(0);
  });
}

describe('cache commands', () => {
  it('dir, stats, verify removes a corrupted blob which is then rebuilt, clear', () => {
    const p = wrappedProject();
    expect(cliSync(['cache', 'dir'], p).stdout.trim()).toBe(p.cacheDir);
    json(p, ['compile', '--json', '--no-daemon']);
    // Corrupt every stored blob's content (cacache content-v2/sha512/...).
    const content = join(p.cacheDir, 'store', 'content-v2');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const x = join(d, f);
        if (statSync(x).isDirectory()) walk(x);
        else files.push(x);
      }
    };
    walk(content);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      chmodSync(f, 0o644);
      writeFileSync(f, 'garbage');
    }
    const v = cliSync(['cache', 'verify'], p);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/removed [1-9]\d* bad ones/);
    expect(json(p, ['cache', 'stats', '--json']).errors).toBeGreaterThan(0);
    rmSync(join(p.root, 'build'), { recursive: true });
    dropState(p.root);
    expect(json(p, ['compile', '--json', '--no-daemon'])).toMatchObject({ compiled: 3, failed: 0 });
    expect(execFileSync(join(p.root, 'build/bin/calc'), { encoding: 'utf8' })).toBe('mean=3 stddev=1.41421\n');
    expect(cliSync(['cache', 'clear'], p).code).toBe(0);
    expect(json(p, ['cache', 'stats', '--json']).entries).toBe(0);
    expect(cliSync(['cache', 'cleanup'], p).code).toBe(0);
  });

  it('a corrupted blob found at build time is a miss, never linked', () => {
    const p = wrappedProject();
    json(p, ['compile', '--json', '--no-daemon']);
    const content = join(p.cacheDir, 'store', 'content-v2');
    const walk = (d: string): string[] =>
      readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : [join(d, f)]));
    for (const f of walk(content)) {
      chmodSync(f, 0o644);
      const b = readFileSync(f);
      b[Math.floor(b.length / 2)] ^= 0xff;
      writeFileSync(f, b);
    }
    rmSync(join(p.root, 'build'), { recursive: true });
    dropState(p.root);
    expect(json(p, ['compile', '--json', '--no-daemon'])).toMatchObject({ compiled: 3, cached: 0, failed: 0 });
    expect(execFileSync(join(p.root, 'build/bin/calc'), { encoding: 'utf8' })).toBe('mean=3 stddev=1.41421\n');
    expect(json(p, ['cache', 'stats', '--json']).errors).toBeGreaterThan(0);
  });

  it('another checkout of the same sources hits (no -g), and stats survive a daemon restart', () => {
    const a = wrappedProject();
    expect(cliSync(['start'], a).code).toBe(0);
    json(a, ['compile', '--json']);
    expect(cliSync(['stop'], a).code).toBe(0);
    const before = json(a, ['cache', 'stats', '--json']);
    expect(before.misses).toBe(3);
    expect(cliSync(['start'], a).code).toBe(0);
    expect(json(a, ['cache', 'stats', '--json']).misses).toBe(3);
    // A second checkout elsewhere, same cache and the same compiler (a's wrapper).
    const b = project();
    rmSync(join(b.root, 'src'), { recursive: true });
    cpSync(join(REPO, 'examples/static-lib'), b.root, { recursive: true });
    const s = json({ ...b, env: { ...a.env } }, ['compile', '--json', '--no-daemon']);
    expect(s).toMatchObject({ compiled: 0, cached: 3 });
  });
});
