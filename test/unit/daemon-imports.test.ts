// What each daemon loads at start. Every module a daemon imports stays in its memory
// for its whole life, four daemons per project: a daemon must not load, through a
// shared helper, the layers it never runs (the compile cache and queue in setup and
// discovery; the compile queue and distcc in the orchestrator, which compiles only
// when the compilation daemon is gone and then imports them on demand).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.js';

/** Whether an import statement's specifiers are all types (TypeScript drops it). */
function typeOnly(statement: string): boolean {
  if (/^(?:import|export)\s+type\b/.test(statement)) return true;
  // `import { type A, type B } from`: nothing left at run time. A default or namespace
  // import beside the braces, or any specifier without `type`, loads the module.
  const braces = /^(?:import|export)\s*\{([^}]*)\}\s*from/.exec(statement);
  if (!braces) return false;
  const names = braces[1]!.split(',').map((s) => s.trim()).filter(Boolean);
  return names.length > 0 && names.every((n) => n.startsWith('type '));
}

/** The repo-relative .ts files `entry` loads at start: static imports, not import(). */
function loadedAtStart(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    const src = readFileSync(resolve(REPO, file), 'utf8');
    for (const m of src.matchAll(/^(?:import|export)\b[^;]*?from\s+'(\.{1,2}\/[^']+)';/gms)) {
      if (typeOnly(m[0])) continue;
      const target = relative(REPO, resolve(REPO, dirname(file), m[1]!)).replace(/\.js$/, '.ts');
      if (existsSync(resolve(REPO, target))) visit(target);
    }
    for (const m of src.matchAll(/^import\s+'(\.{1,2}\/[^']+)';/gm)) visit(relative(REPO, resolve(REPO, dirname(file), m[1]!)).replace(/\.js$/, '.ts'));
  };
  visit(entry);
  return seen;
}

describe('what each daemon loads at start', () => {
  const main = (d: string) => loadedAtStart(`daemons/${d}/main.ts`);

  it('follows imports (the compilation daemon loads the cache and its queue)', () => {
    const c = main('compilation');
    expect(c.has('cache/cached-compile.ts')).toBe(true);
    expect(c.has('daemons/compilation/compile-queue.ts')).toBe(true);
  });

  it('setup and discovery load no compile cache and no compile queue', () => {
    for (const d of ['setup', 'discovery']) {
      const loaded = [...main(d)].filter((f) => f.startsWith('cache/') && f !== 'cache/cache-dir.ts' || f.startsWith('daemons/compilation/'));
      expect(loaded, d).toEqual([]);
    }
  });

  it('the orchestrator loads no compile queue and no distcc client', () => {
    const loaded = [...main('orchestrator')].filter((f) => f.startsWith('daemons/compilation/') || f.startsWith('toolchain/distcc/'));
    expect(loaded).toEqual([]);
  });
});
