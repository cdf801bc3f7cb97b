// Reading a project's daemon_config.toml for the CLI, its errors as user errors.
import { ConfigError } from '../config/errors.js';
import { loadDaemonConfig } from '../config/daemon-config.js';
import type { DaemonConfig } from '../config/types.js';
import { UserError } from '../daemons/common/user-error.js';

export function readDaemonConfig(root: string): DaemonConfig {
  try {
    return loadDaemonConfig(root);
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message, 2);
    throw e;
  }
}
