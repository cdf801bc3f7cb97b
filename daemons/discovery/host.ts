// Keeps a DiscoveryService in step with the project's config: opened with the
// watch roots, ignored patterns and build dir the config names, and reopened
// when those change: on an edit of a config file, and whenever a caller has seen
// a setup generation other than the one the scope came from (a config that was
// invalid at start becomes valid when a glob matches a new file, with no file
// edited). The first scan runs in the background so the daemon is ready at once;
// queries wait for it.
import { isAbsolute, resolve } from 'node:path';
import type { ChangesResult, DepsEntry, DiscoveryApi } from '../../protocol/discovery.js';
import type { ConfigSnapshot, SetupApi } from '../../protocol/setup.js';
import { allProfiles, profileBuildDirs } from '../../config/profiles.js';
import type { Logger } from '../common/logger.js';
import { DiscoveryService } from './service.js';

interface Scope {
  watchRoots: string[];
  ignored: string[];
  buildDir: string;
  usePolling: boolean;
  watchInterval: number;
}

function scopeOf(root: string, snap: ConfigSnapshot): Scope {
  const dirs = new Set<string>();
  for (const config of snap.project ? allProfiles(snap.project) : []) {
    for (const t of config.targets) for (const d of t.include_dirs) dirs.add(isAbsolute(d) ? d : resolve(root, d));
  }
  // The other profiles' build dirs are outputs as the build dir is: never journal entries.
  const buildDir = snap.project?.build_dir ?? 'build';
  const otherBuildDirs = snap.project ? profileBuildDirs(snap.project).filter((d) => d !== buildDir) : [];
  return {
    watchRoots: [...dirs].sort(),
    ignored: [...snap.daemon.discovery.ignored_patterns, ...otherBuildDirs.map(anchoredPattern)],
    buildDir,
    usePolling: snap.daemon.discovery.use_polling,
    watchInterval: snap.daemon.discovery.watch_interval,
  };
}

/** An ignored pattern matching exactly `dir` (relative to the root) and what is under it. */
function anchoredPattern(dir: string): string {
  return '/' + dir.replace(/[*?[\]{}\\]/g, '\\$&');
}

export class DiscoveryHost implements DiscoveryApi {
  private svc: Promise<DiscoveryService>;
  private scopeKey = '';
  /** The setup generation the scope was derived from. */
  private scopeGeneration = -1;
  private reopening: Promise<void> | null = null;

  constructor(
    private readonly root: string,
    private readonly setup: SetupApi,
    private readonly log: Logger,
    private readonly watch = true,
  ) {
    this.svc = this.open();
    this.svc.catch((e) => this.log.error(`discovery: cannot open: ${(e as Error).message}`));
  }

  private async open(): Promise<DiscoveryService> {
    const snap = await this.setup.getConfig();
    const scope = scopeOf(this.root, snap);
    this.scopeKey = JSON.stringify(scope);
    this.scopeGeneration = snap.generation;
    const svc = await DiscoveryService.open({ root: this.root, ...scope, watch: this.watch, logger: this.log });
    // A config edit may move the watch roots (include dirs) or the ignored patterns.
    svc.onConfigFileChange(() => void this.checkScope());
    return svc;
  }

  private async checkScope(): Promise<void> {
    if (this.reopening) return this.reopening;
    this.reopening = (async () => {
      try {
        const snap = await this.setup.getConfig();
        const scope = scopeOf(this.root, snap);
        if (JSON.stringify(scope) === this.scopeKey) {
          this.scopeGeneration = snap.generation;
          return;
        }
        this.log.info('discovery: watch roots or ignored patterns changed; reopening');
        // Callers from now on wait for the new service rather than reach the closing one.
        const old = this.svc;
        this.svc = (async () => {
          await (await old.catch(() => null))?.close();
          return this.open();
        })();
        await this.svc;
      } catch (e) {
        this.log.error(`discovery: reopening failed: ${(e as Error).message}`);
      } finally {
        this.reopening = null;
      }
    })();
    return this.reopening;
  }

  async changesSince(epoch: number, journalId: string | null, configGeneration?: number): Promise<ChangesResult> {
    // A reopen journals what the new scope finds (the journal continues), so the answer covers it.
    if (configGeneration !== undefined && configGeneration !== this.scopeGeneration) {
      await this.svc.catch(() => undefined);
      await this.checkScope();
    }
    return this.use((svc) => svc.changesSince(epoch, journalId));
  }

  /** Resolves once something is journaled after `epoch` (at once if already so), or
   *  after `timeoutMs`, with the current epoch: a long poll for `replibuild watch`. */
  async waitForChange(epoch: number, timeoutMs: number, signal?: AbortSignal): Promise<{ epoch: number }> {
    const svc = await this.svc;
    if (svc.status().epoch > epoch) return { epoch: svc.status().epoch };
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      const off = svc.onChange(done);
      signal?.addEventListener('abort', done, { once: true });
    });
    return { epoch: svc.status().epoch };
  }

  async hashMany(paths: string[]): Promise<(string | null)[]> {
    return this.use((svc) => svc.hashMany(paths, { sync: false }));
  }

  async recordDeps(entries: DepsEntry[]): Promise<void> {
    await this.use((svc) => svc.recordDepsOf(entries));
  }

  /** Runs `fn` on the current service; a call that met a service closed by a reopen
   *  under it runs again on the new one (a reopen is a config edit: rare, never a loop). */
  private async use<T>(fn: (svc: DiscoveryService) => T | Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const current = this.svc;
      const svc = await current;
      try {
        return await fn(svc);
      } catch (e) {
        if (attempt >= 2 || current === this.svc) throw e;
      }
    }
  }

  async status(): Promise<Record<string, unknown>> {
    const svc = await Promise.race([this.svc, new Promise<null>((r) => setTimeout(() => r(null), 50))]).catch(() => null);
    if (!svc) return { scanning: true };
    const { roots: _roots, ...rest } = svc.status();
    return { ...rest };
  }

  async close(opts?: { saveState: boolean }): Promise<void> {
    const svc = await this.svc.catch(() => null);
    await svc?.close(opts);
  }
}
