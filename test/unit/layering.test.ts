// The layers of the tree (README, Architecture): each folder may import only from
// folders below it, so the RPC library, the cache and the toolchain never reach up
// into the daemons or the CLI, and the CLI stays the only thing that knows it is one.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.js';

/** Lowest first; folders on one row do not import each other. */
const LAYERS: readonly (readonly string[])[] = [
  ['rpc', 'fs'],
  ['config'],
  ['protocol'],
  ['toolchain'],
  ['cache'],
  ['daemons'],
  ['client'],
];
const rank = new Map(LAYERS.flatMap((row, i) => row.map((f) => [f, i] as const)));
const MAX_LINES = 500;

function sources(dir: string): string[] {
  return readdirSync(join(REPO, dir), { withFileTypes: true, recursive: true })
    .filter((d) => d.isFile() && d.name.endsWith('.ts') && !d.name.endsWith('.test.ts'))
    .map((d) => relative(REPO, join(d.parentPath, d.name)));
}

const files = [...rank.keys()].flatMap(sources);

/** [importing file, imported file] for every relative import. */
function edges(): [string, string][] {
  const out: [string, string][] = [];
  for (const f of files) {
    const src = readFileSync(join(REPO, f), 'utf8');
    for (const m of src.matchAll(/(?:from\s+|import\s*\(\s*)'(\.{1,2}\/[^']+)'/g)) {
      out.push([f, relative(REPO, resolve(REPO, dirname(f), m[1]!))]);
    }
  }
  return out;
}

const top = (p: string) => p.split('/')[0]!;

describe('layering', () => {
  it('finds the source folders', () => {
    expect(files.length).toBeGreaterThan(100);
    for (const f of rank.keys()) expect(files.some((p) => top(p) === f), f).toBe(true);
  });

  it('no folder imports one above it or beside it', () => {
    const wrong = edges()
      .filter(([a, b]) => top(a) !== top(b))
      .filter(([a, b]) => !rank.has(top(b)) || rank.get(top(b))! >= rank.get(top(a))!)
      .map(([a, b]) => `${a} imports ${b}`);
    expect(wrong).toEqual([]);
  });

  it('daemons/common imports no daemon and no host; a daemon imports no other daemon', () => {
    const named = (p: string) => (p.startsWith('daemons/') ? p.split('/')[1]! : null);
    const wrong = edges()
      .filter(([a, b]) => {
        const from = named(a);
        const to = named(b);
        if (from === null || to === null || from === to) return false;
        if (from === 'common') return true;
        // The host composes the daemons; a daemon may use the host and the common parts.
        return from !== 'host' && to !== 'host' && to !== 'common';
      })
      .map(([a, b]) => `${a} imports ${b}`);
    expect(wrong).toEqual([]);
  });

  it(`no source file is over ${MAX_LINES} lines`, () => {
    const long = files.filter((f) => readFileSync(join(REPO, f), 'utf8').split('\n').length > MAX_LINES + 1);
    expect(long).toEqual([]);
  });
});
