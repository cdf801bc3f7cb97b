import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sha256File } from '../../fs/file-hash.js';
import { hashOrNull } from '../../daemons/discovery/io.js';

const dir = mkdtempSync(join(tmpdir(), 'rb-file-hash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sha256File', () => {
  it('hashes the whole content, through a buffer smaller than the file', async () => {
    const data = randomBytes(100_000);
    const f = join(dir, 'big');
    writeFileSync(f, data);
    const want = createHash('sha256').update(data).digest('hex');
    expect(await sha256File(f)).toBe(want);
    expect(await sha256File(f, Buffer.alloc(4096))).toBe(want);
  });

  it('leaves a missing file to the caller; discovery reads it as null', async () => {
    await expect(sha256File(join(dir, 'none'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await hashOrNull(join(dir, 'none'))).toBeNull();
    expect(await hashOrNull(dir)).toBeNull(); // a directory is no readable file
  });
});
