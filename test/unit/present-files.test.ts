// allFilesPresent (fs/present-files.ts): a listing per directory answers for many files
// at once; whatever is not plainly a file there counts as absent unless a stat says file.
import { afterEach, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allFilesPresent } from '../../fs/present-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tree(): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'replibuild-present-'));
  dirs.push(dir);
  const files = ['a.o', 'b.o', 'c.o', 'd.o'].map((n) => join(dir, n));
  for (const f of files) writeFileSync(f, 'x');
  return { dir, files };
}

it('all present, in a listed directory (three or more files) and stat by stat (fewer)', () => {
  const { files } = tree();
  expect(allFilesPresent(files)).toBe(true);
  expect(allFilesPresent(files.slice(0, 2))).toBe(true);
  expect(allFilesPresent([])).toBe(true);
});

it('one deleted: absent, whether its directory is listed or it is stat-ed', () => {
  const { files } = tree();
  rmSync(files[1]!);
  expect(allFilesPresent(files)).toBe(false);
  expect(allFilesPresent(files.slice(0, 2))).toBe(false);
});

it('a directory in a file\'s place, a dangling symlink, a missing directory: absent; a symlink to a file: present', () => {
  const { dir, files } = tree();
  rmSync(files[0]!);
  mkdirSync(files[0]!);
  expect(allFilesPresent(files)).toBe(false);
  rmSync(files[0]!, { recursive: true });
  symlinkSync(join(dir, 'nowhere.o'), files[0]!);
  expect(allFilesPresent(files)).toBe(false);
  rmSync(files[0]!);
  symlinkSync(files[3]!, files[0]!);
  expect(allFilesPresent(files)).toBe(true);
  expect(allFilesPresent([...files, join(dir, 'gone', 'x.o'), join(dir, 'gone', 'y.o'), join(dir, 'gone', 'z.o')])).toBe(false);
});
