import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RealRoots, realPathOfExisting } from '../../daemons/common/request-scope.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A temp dir (by its real path) with build/obj, a symlink out of it, a dangling and a looping one. */
function tree(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'replibuild-realpath-')));
  dirs.push(d);
  mkdirSync(join(d, 'build', 'obj'), { recursive: true });
  mkdirSync(join(d, 'elsewhere'));
  writeFileSync(join(d, 'build', 'obj', 'a.o'), 'x');
  symlinkSync(join(d, 'elsewhere'), join(d, 'build', 'out'));
  symlinkSync(join(d, 'elsewhere', 'none'), join(d, 'build', 'dangling'));
  symlinkSync(join(d, 'build', 'loop'), join(d, 'build', 'loop'));
  return d;
}

describe('realPathOfExisting', () => {
  it('resolves what exists and appends what does not, and refuses what cannot be resolved', () => {
    const d = tree();
    const cases: [string, string | null][] = [
      ['build/obj/a.o', 'build/obj/a.o'],
      ['build/obj/new.o', 'build/obj/new.o'],
      ['build/new/dir/x.o', 'build/new/dir/x.o'],
      ['build/out/x.o', 'elsewhere/x.o'],
      ['build/out', 'elsewhere'],
      ['build/dangling', null],
      ['build/dangling/x.o', null],
      ['build/loop/x.o', null],
      ['build/obj/a.o/x', 'build/obj/a.o/x'],
    ];
    // A map shared by the calls of one moment gives the same answers as none.
    const shared = new Map<string, string | null>();
    for (const [p, want] of cases) {
      const expected = want === null ? null : join(d, want);
      expect(realPathOfExisting(join(d, p)), p).toBe(expected);
      expect(realPathOfExisting(join(d, p), shared), `${p} (shared)`).toBe(expected);
    }
    expect(realPathOfExisting('/no/such/dir/at/all')).toBe('/no/such/dir/at/all');
  });

  it('RealRoots.contains holds an output to the build dir through symlinks, with or without a shared map', () => {
    const d = tree();
    const build = new RealRoots([join(d, 'build')]);
    for (const shared of [undefined, new Map<string, string | null>()]) {
      expect(build.contains(join(d, 'build', 'obj', 'new.o'), shared)).toBe(true);
      expect(build.contains(join(d, 'build', 'obj', 'new.d'), shared)).toBe(true);
      expect(build.contains(join(d, 'build', 'out', 'x.o'), shared)).toBe(false);
      expect(build.contains(join(d, 'build', 'dangling'), shared)).toBe(false);
    }
  });
});
