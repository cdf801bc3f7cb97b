// init writes files that must not exist yet: every one is checked first, so a
// refusal leaves nothing half written, and each is then created exclusively, so a
// file that appears in between is not overwritten either.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../../daemons/common/user-error.js';

export interface NewFile {
  /** Relative to the root. */
  path: string;
  content: string;
}

export class FileExistsError extends UserError {
  constructor(root: string, existing: string[]) {
    super(
      `${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''} in ${root}; ` +
        'replibuild init never overwrites a file: move it away (or edit it by hand) and run init again. Nothing was written',
    );
    this.name = 'FileExistsError';
  }
}

export function refuseExisting(root: string, paths: readonly string[]): void {
  const existing = paths.filter((p) => existsSync(join(root, p)));
  if (existing.length > 0) throw new FileExistsError(root, existing);
}

export function writeNewFiles(root: string, files: readonly NewFile[]): void {
  refuseExisting(root, files.map((f) => f.path));
  for (const f of files) {
    const abs = join(root, f.path);
    mkdirSync(dirname(abs), { recursive: true });
    try {
      writeFileSync(abs, f.content, { flag: 'wx' });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(root, [f.path]);
      throw e;
    }
  }
}
