// Temp dirs for commands that make a project (init): no replibuild.toml or
// daemon_config.toml in them yet, a private compile cache beside them, and the
// same cleanup as makeProject's: the daemons a test started stopped by pid, then
// the dirs removed, after each test, failed or not.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { cliSync, killProjectDaemons } from './project.js';

export interface Scratch {
  /** The temp dir holding root and the cache. */
  base: string;
  /** An empty project dir. */
  root: string;
  env: NodeJS.ProcessEnv;
}

export function scratchPerTest(): () => Scratch {
  const made: Scratch[] = [];
  afterEach(() => {
    for (const s of made.splice(0)) {
      cliSync(['stop'], s);
      killProjectDaemons(s.root);
      rmSync(s.base, { recursive: true, force: true });
    }
  });
  return () => {
    const base = mkdtempSync(join(tmpdir(), 'replibuild-init-'));
    const root = join(base, 'proj');
    mkdirSync(root);
    const env: NodeJS.ProcessEnv = { ...process.env, REPLIBUILD_CACHE_DIR: join(base, 'cache') };
    // CI=true makes `compile` run in-process; these tests drive the daemons.
    delete env.CI;
    const s = { base, root, env };
    made.push(s);
    return s;
  };
}
