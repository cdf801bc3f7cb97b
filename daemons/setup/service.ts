// Setup: the project's two TOML files, parsed, validated and cached. A file is
// re-read only when its stat changes, so asking for the config costs two stats.
import { createHash, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { stampKeyOf, statBigSync } from '../../fs/stat-stamp.js';
import { loadDaemonConfig, DEFAULT_DAEMON_CONFIG } from '../../config/daemon-config.js';
import { ConfigError } from '../../config/errors.js';
import { loadProjectConfig } from '../../config/project-config.js';
import { PROJECT_FILE } from '../../config/project-root.js';
import type { ConfigIssue, DaemonConfig, ProjectConfig } from '../../config/types.js';
import type { ConfigSnapshot, GetConfigOptions, SetupApi } from '../../protocol/setup.js';
import { projectPaths } from '../host/paths.js';

function statKey(file: string): string {
  try {
    const st = statBigSync(file);
    return st ? stampKeyOf(st) : 'absent';
  } catch {
    return 'absent';
  }
}

function sourceDirsOf(root: string, project: ProjectConfig): string[] {
  const dirs = new Set<string>();
  for (const t of project.targets) for (const s of t.sources) dirs.add(join(root, s, '..'));
  return [...dirs].sort();
}

export class SetupService implements SetupApi {
  private project: ProjectConfig | null = null;
  private daemon: DaemonConfig = DEFAULT_DAEMON_CONFIG;
  private issues: ConfigIssue[] = [];
  private generation = 0;
  private seenKeys = '';
  private reloads = 0;
  /** A digest of what was last served, so a reload that changes nothing keeps the
   *  generation (the text itself is ~340 KB for 20,000 sources, kept for the daemon's life). */
  private lastServed = '';
  private readonly files: string[];
  /** Names this process in snapshot tags (ConfigAnswer). */
  private readonly instance = randomUUID();
  /** The source dirs of the config last loaded (sourceDirsKey), listed once per load:
   *  a build asks for the config twice, and walking 20,000 sources each time shows. */
  private sourceDirs: string[] = [];

  constructor(
    readonly root: string,
    private readonly onReload?: (snap: ConfigSnapshot) => void,
  ) {
    this.files = [join(root, PROJECT_FILE), projectPaths(root).daemonConfig];
  }

  /** Re-read whatever changed on disk since the last call; `rescan` re-expands the globs too. */
  refresh(rescan = false): void {
    // Sources come from globs: a new or removed file changes the config too, so
    // the source dirs' state is part of the key (see sourceDirsKey). Discovery,
    // which sees every added file, asks for a rescan outright.
    const key = this.files.map(statKey).join('|') + '|' + this.sourceDirsKey();
    if (key === this.seenKeys && !rescan) return;
    this.seenKeys = key;
    this.reloads++;
    const issues: ConfigIssue[] = [];
    try {
      this.daemon = loadDaemonConfig(this.root);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      issues.push(...e.issues);
    }
    try {
      this.project = loadProjectConfig(this.root);
      this.sourceDirs = sourceDirsOf(this.root, this.project);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      issues.push(...e.issues);
    }
    const served = createHash('sha256').update(JSON.stringify([this.project, this.daemon, issues])).digest('hex');
    this.issues = issues;
    if (served === this.lastServed) return;
    this.lastServed = served;
    this.generation++;
    this.onReload?.(this.snapshot());
  }

  /** Stat of the directories the globs of the last good config walked: adding or
   *  removing a file changes its directory's mtime. */
  private sourceDirsKey(): string {
    return this.project ? this.sourceDirs.map(statKey).join(',') : '';
  }

  /** The tag of a snapshot this service served: this process and its generation. */
  tagOf(snap: ConfigSnapshot): string {
    return `${this.instance}:${snap.generation}`;
  }

  snapshot(): ConfigSnapshot {
    return { project: this.project, daemon: this.daemon, issues: this.issues, generation: this.generation };
  }

  async getConfig(opts: GetConfigOptions = {}): Promise<ConfigSnapshot> {
    this.refresh(opts.rescan);
    return this.snapshot();
  }

  status(): Record<string, unknown> {
    return {
      config_generation: this.generation,
      targets: this.project?.targets.length ?? 0,
      config_ok: this.issues.length === 0,
      reloads: this.reloads,
      last_error: this.issues.length ? this.issues.map((i) => `${i.file}:${i.line ?? '?'}: ${i.message}`).join('; ') : null,
    };
  }
}
