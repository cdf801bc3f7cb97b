// Resolving the project a command runs in. Kept free of TOML parsing: it is on
// every command's path, the no-op compile's included.
import { findProjectRoot } from '../config/project-root.js';
import { NotAProjectError } from '../daemons/host/errors.js';

export function resolveProject(dir: string | undefined): string {
  const start = dir ?? process.cwd();
  const root = findProjectRoot(start);
  if (!root) throw new NotAProjectError(start);
  return root;
}
