import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CacheDirError, defaultCacheDir, ensureCacheDir } from '../../daemons/compilation/cache/cache-dir.js';

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
