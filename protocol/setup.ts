// Wire types of the setup daemon.
import type { ConfigIssue, DaemonConfig, ProjectConfig } from '../config/types.js';

/** What setup serves: the last good config and, when the files on disk are now
 *  invalid, the issues that make them so (a build must then fail with them). */
export interface ConfigSnapshot {
  project: ProjectConfig | null;
  daemon: DaemonConfig;
  issues: ConfigIssue[];
  /** Bumped on every change of what is served. */
  generation: number;
}

export interface GetConfigOptions {
  /** Expand the source globs again even if no TOML changed (files were added or removed). */
  rescan?: boolean;
}

export interface SetupApi {
  getConfig(opts?: GetConfigOptions): Promise<ConfigSnapshot>;
}
