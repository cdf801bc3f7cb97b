import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirWithin, writeFileAtomicAsync } from '../../fs/atomic-write.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'replibuild-within-'));
  dirs.push(d);
  return d;
}

describe('makeDirWithin', () => {
  it('makes the missing levels below the root, with the mode asked for', async () => {
    const root = tmp();
    await makeDirWithin(root, join(root, '.replibuild', 'state'), 0o700);
    expect(statSync(join(root, '.replibuild', 'state')).mode & 0o777).toBe(0o700);
    await makeDirWithin(root, join(root, '.replibuild', 'state'), 0o700);
  });

  it('never makes the root again: a save after the project was removed fails and leaves nothing', async () => {
    const root = join(tmp(), 'proj');
    await expect(makeDirWithin(root, join(root, '.replibuild', 'state'))).rejects.toMatchObject({ code: 'ENOENT' });
    // A name that starts with two dots is still inside.
    await expect(makeDirWithin(root, join(root, '..state', 'x'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(writeFileAtomicAsync(join(root, '.replibuild', 'state', 'x.json'), '{}', { within: root })).rejects.toMatchObject({ code: 'ENOENT' });
    expect(existsSync(root)).toBe(false);
  });

  it('makes a directory outside the root as mkdir -p would', async () => {
    const base = tmp();
    await makeDirWithin(join(base, 'proj'), join(base, 'elsewhere', 'state'));
    expect(existsSync(join(base, 'elsewhere', 'state'))).toBe(true);
    expect(existsSync(join(base, 'proj'))).toBe(false);
  });
});
