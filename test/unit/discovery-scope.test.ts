import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WatchScope } from '../../daemons/common/watch-scope.js';

const root = '/proj';
const at = (rel: string) => join(root, rel);

describe('discovery watch scope', () => {
  const scope = new WatchScope({ root, extraRoots: ['/opt/inc', 'include', '/opt/inc/sub', '/'], ignored: ['*.tmp', '*.swp', 'gen/*.h'], buildDir: 'out' });

  it('keeps the project root and outside roots, drops nested and surrounding ones', () => {
    expect(scope.roots).toEqual(['/proj', '/opt/inc']);
    expect([...scope.droppedRoots].sort()).toEqual(['/', '/opt/inc/sub', '/proj/include']);
  });

  it('names files relative to the root, with absolute names outside it', () => {
    expect(scope.toKey(at('src/a.h'))).toBe('src/a.h');
    expect(scope.toKey('/opt/inc/x.h')).toBe('/opt/inc/x.h');
    expect(scope.toKey('/projX/a.h')).toBe('/projX/a.h');
    expect(scope.toAbs('src/a.h')).toBe('/proj/src/a.h');
    expect(scope.toAbs('./src/../src/a.h')).toBe('/proj/src/a.h');
    expect(scope.toAbs('/opt/inc/x.h')).toBe('/opt/inc/x.h');
  });

  it('skips the build dir, .git, node_modules, .replibuild (but its daemon config) and ignored patterns', () => {
    for (const rel of ['out', 'out/obj/a.o', '.git/HEAD', 'lib/node_modules/x.h', '.replibuild/pids/setup.pid', '.replibuild/state/x.json',
      'a.tmp', 'src/.main.cpp.swp', 'gen/x.h', 'src/.replibuild-cookie-1-2-0']) {
      expect(scope.isIgnored(at(rel)), rel).toBe(true);
    }
    for (const rel of ['src/a.h', 'output/a.h', '.replibuild', '.replibuild/daemon_config.toml', 'replibuild.toml', 'src/gen/x.h', 'gen/sub/x.h']) {
      expect(scope.isIgnored(at(rel)), rel).toBe(false);
    }
    expect(scope.isIgnored('/opt/inc/a.h')).toBe(false);
    expect(scope.isIgnored('/opt/inc/a.tmp')).toBe(true);
    expect(scope.isIgnored('/elsewhere/a.h')).toBe(true);
    expect(scope.isWatched(at('src/a.h'))).toBe(true);
  });

  it('ignores everything below an ignored directory', () => {
    const s = new WatchScope({ root, ignored: ['third_party'] });
    expect(s.isIgnored(at('third_party/x/y.h'))).toBe(true);
    expect(s.isIgnoredEntry(at('src'), 'third_party')).toBe(true);
    expect(s.isIgnoredEntry(at('src'), 'a.h')).toBe(false);
  });

  it('refuses a bad pattern at construction, not at the first event', () => {
    expect(() => new WatchScope({ root, ignored: ['[oops'] })).toThrow(/glob/);
  });
});

describe('discovery watch scope and symlinks', () => {
  it('drops an extra root that is a symlink to a dir around the project, and never follows a link to a root', async () => {
    const { mkdtempSync, mkdirSync, symlinkSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const base = mkdtempSync(join(tmpdir(), 'rb-scope-'));
    try {
      const proj = join(base, 'proj');
      mkdirSync(join(proj, 'hdr'), { recursive: true });
      mkdirSync(join(base, 'ext'));
      symlinkSync(base, join(base, 'up')); // outside, but around the project
      symlinkSync('..', join(proj, 'parent'));
      symlinkSync('.', join(proj, 'self'));
      symlinkSync('hdr', join(proj, 'inc'));
      const s = new WatchScope({ root: proj, extraRoots: [join(base, 'up'), join(base, 'ext')] });
      expect(s.roots).toEqual([proj, join(base, 'ext')]);
      expect(s.droppedRoots).toEqual([join(base, 'up')]);
      expect(s.isRootAliasLink(join(proj, 'parent'))).toBe(true);
      expect(s.isRootAliasLink(join(proj, 'self'))).toBe(true);
      expect(s.isRootAliasLink(join(proj, 'inc'))).toBe(false);
      expect(s.isRootAliasLink(join(proj, 'hdr'))).toBe(false);
      expect(s.isRootAliasLink(proj)).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
