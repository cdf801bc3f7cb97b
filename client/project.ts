// Resolving the project a command runs in, and reading its daemon settings.
import { ConfigError } from '../config/errors.js';
import { loadDaemonConfig } from '../config/daemon-config.js';
import { findProjectRoot } from '../config/project-root.js';
import type { DaemonConfig } from '../protocol/messages.js';
import { NotAProjectError, UserError } from './errors.js';

export function resolveProject(dir: string | undefined): string {
  const start = dir ?? process.cwd();
  const root = findProjectRoot(start);
  if (!root) throw new NotAProjectError(start);
  return root;
}

export function readDaemonConfig(root: string): DaemonConfig {
  try {
    return loadDaemonConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, 2);
    throw e;
  }
}
