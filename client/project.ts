// Resolving the project a command runs in. Kept free of TOML parsing: it is on
// every command's path, the no-op compile's included.
import { findProjectRoot } from '../config/project-root.js';
import { UserError } from '../daemons/common/user-error.js';

export class NotAProjectError extends UserError {
  constructor(start: string) {
    super(`no replibuild.toml in ${start} or any directory above it (create one, or pass -C DIR)`);
    this.name = 'NotAProjectError';
  }
}

export function resolveProject(dir: string | undefined): string {
  const start = dir ?? process.cwd();
  const root = findProjectRoot(start);
  if (!root) throw new NotAProjectError(start);
  return root;
}
