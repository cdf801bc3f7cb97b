// compile_commands.json made and written in pieces: the same bytes as the whole array
// pretty-printed, and the same file-writing rules.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CompileCommandsWriter, compileCommandEntries, compileCommandsText } from '../../daemons/orchestrator/compile-commands.js';
import { projectConfig, resolvedTarget } from '../helpers/config-fixture.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(sources: string[]) {
  const root = mkdtempSync(join(tmpdir(), 'rb-ccdb-'));
  dirs.push(root);
  const targets = [resolvedTarget({ name: 'app', kind: 'executable', sources, defines: ['A="x y"'], include_dirs: ['inc'] }), resolvedTarget({ name: 'lib', kind: 'static', sources: sources.slice(0, 1) })];
  return projectConfig(root, targets);
}

describe('compile_commands.json in pieces', () => {
  it('is the text of the whole array pretty-printed, for none, one and thousands of entries', () => {
    for (const n of [0, 1, 3, 3000]) {
      const config = project(Array.from({ length: n }, (_, i) => `src/f${i}.cpp`));
      if (n === 0) config.targets = [];
      const pieces = [...compileCommandsText(config)];
      expect(pieces.join('')).toBe(`${JSON.stringify(compileCommandEntries(config), null, 2)}\n`);
      if (n === 3000) expect(pieces.length).toBeGreaterThan(1);
    }
  });

  it('writes the file once, and again only when its content would change', () => {
    const config = project(['src/a.cpp', 'src/b.cpp']);
    const w = new CompileCommandsWriter(config.root);
    expect(w.update(config)).toBe(true);
    expect(readFileSync(w.path, 'utf8')).toBe(`${JSON.stringify(compileCommandEntries(config), null, 2)}\n`);
    expect(w.update({ ...config })).toBe(false);
    // A fresh writer finds the same content on disk: nothing to write.
    expect(new CompileCommandsWriter(config.root).update(config)).toBe(false);
    writeFileSync(w.path, '[]\n');
    expect(w.update(config)).toBe(true);
    expect(JSON.parse(readFileSync(w.path, 'utf8'))).toHaveLength(3);
  });
});
