import { renameSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';

/** Write a file so readers see the old content or the new one, never a torn mix. */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
