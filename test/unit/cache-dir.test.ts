import { chmodSync, chownSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheDirError, defaultCacheDir, ensureCacheDir } from '../../cache/cache-dir.js';
import { CacheGuard } from '../../cache/cache-guard.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'rb-cachedir-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('cache directory', () => {
  it('defaults to ~/.replibuild/cache, REPLIBUILD_CACHE_DIR overrides', () => {
    expect(defaultCacheDir({})).toBe(join(homedir(), '.replibuild', 'cache'));
    expect(defaultCacheDir({ REPLIBUILD_CACHE_DIR: '' })).toBe(join(homedir(), '.replibuild', 'cache'));
    expect(defaultCacheDir({ REPLIBUILD_CACHE_DIR: '/x/y' })).toBe('/x/y');
  });

  it('is created private (0700), parents included', async () => {
    const d = join(base, 'deep', 'cache');
    const layout = await ensureCacheDir(d);
    expect(statSync(d).mode & 0o777).toBe(0o700);
    expect(statSync(layout.store).mode & 0o777).toBe(0o700);
    expect(statSync(layout.stats).mode & 0o777).toBe(0o700);
  });

  it('is tightened to 0700 when looser', async () => {
    const d = join(base, 'loose');
    mkdirSync(d);
    chmodSync(d, 0o777);
    await ensureCacheDir(d);
    expect(statSync(d).mode & 0o777).toBe(0o700);
  });

  it('is refused when it is not a directory', async () => {
    const f = join(base, 'file');
    writeFileSync(f, '');
    await expect(ensureCacheDir(f)).rejects.toThrow(CacheDirError);
  });

  it.skipIf(process.getuid?.() !== 0)('is refused when another user owns it', async () => {
    const d = join(base, 'theirs');
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, 12345, 12345);
    await expect(ensureCacheDir(d)).rejects.toThrow(/owned by uid 12345/);
  });
});

describe('cache directory checked again after open (issue 10 item 5)', () => {
  it('a symlink is refused, even one to a directory of our own', async () => {
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(base, 'link');
    symlinkSync(real, link);
    await expect(ensureCacheDir(link)).rejects.toThrow(/symbolic link/);
  });

  it('a directory swapped for a symlink after open is refused at the next build, and used again once restored', () => {
    const d = join(base, 'cache');
    const guard = CacheGuard.open(d);
    expect(guard.enter('build-1')).toBe(true);
    expect(guard.note()).toBeNull();
    renameSync(d, `${d}.orig`);
    mkdirSync(join(base, 'elsewhere'), { mode: 0o700 });
    symlinkSync(join(base, 'elsewhere'), d);
    expect(guard.enter('build-1')).toBe(true); // checked once per build
    expect(guard.enter('build-2')).toBe(false);
    expect(guard.note()).toMatch(/symbolic link/);
    expect(guard.note()).toContain(d);
    rmSync(d);
    renameSync(`${d}.orig`, d);
    expect(guard.enter('build-3')).toBe(true);
    expect(guard.note()).toBeNull();
  });
});
