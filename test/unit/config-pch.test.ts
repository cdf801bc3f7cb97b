// The `pch` key: "auto" (default) or "off", in [compiler], [profiles.X] and per target.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../config/errors.js';
import { loadProjectConfig } from '../../config/project-config.js';
import { configForProfile } from '../../config/profiles.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(toml: string[]): string {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-pch-config-'));
  dirs.push(root);
  writeFileSync(join(root, 'a.cpp'), '');
  writeFileSync(join(root, 'replibuild.toml'), toml.join('\n'));
  return root;
}

const pchOf = (cfg: ReturnType<typeof loadProjectConfig>) => Object.fromEntries(cfg.targets.map((t) => [t.name, t.pch]));

describe('pch config key', () => {
  it('defaults to "auto"; [compiler], a profile and a target each set it, the target winning', () => {
    const plain = loadProjectConfig(project(['[targets.a]', 'kind = "executable"', 'sources = ["a.cpp"]']));
    expect(pchOf(plain)).toEqual({ a: 'auto' });
    const root = project([
      '[compiler]',
      'pch = "off"',
      '[profiles.fast]',
      'pch = "auto"',
      '[targets.a]',
      'kind = "executable"',
      'sources = ["a.cpp"]',
      '[targets.b]',
      'kind = "executable"',
      'sources = ["a.cpp"]',
      'pch = "auto"',
    ]);
    const cfg = loadProjectConfig(root);
    expect(pchOf(cfg)).toEqual({ a: 'off', b: 'auto' });
    expect(pchOf(configForProfile(cfg, 'fast'))).toEqual({ a: 'auto', b: 'auto' });
  });

  it('a bad value is an error at its file:line:col, with a suggestion', () => {
    const root = project(['[compiler]', 'pch = "of"', '[targets.a]', 'kind = "executable"', 'sources = ["a.cpp"]', 'pch = true']);
    let err: unknown;
    try {
      loadProjectConfig(root);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues.map((i) => [i.line, i.column, i.message]);
    expect(issues).toEqual([
      [2, 1, 'compiler.pch must be "auto" or "off", not "of" (did you mean "off"?)'],
      [6, 1, 'targets.a.pch must be a string, not the boolean true'],
    ]);
    expect((err as Error).message).toContain('replibuild.toml:2:1: error: compiler.pch must be "auto" or "off"');
  });
});
