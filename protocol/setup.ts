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

/** What get_config answers over the wire. A caller that names the tag of the snapshot
 *  it holds (`known`) gets `unchanged` instead of the whole config again: at 20,000
 *  TUs the config is megabytes of JSON, and a no-op build asks for it twice. The tag
 *  names the setup process as well as the generation, since a restarted daemon counts
 *  its generations from the start again. */
export type ConfigAnswer = { tag: string; snapshot: ConfigSnapshot } | { tag: string; unchanged: true };

export interface SetupApi {
  getConfig(opts?: GetConfigOptions): Promise<ConfigSnapshot>;
}
