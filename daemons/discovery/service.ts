// The discovery service: what changed since a caller's last look, answered from a
// journal kept current by file events, so that a build with nothing changed costs
// the same on 20,000 files as on 20. Correctness rests on three things: every fs
// event re-hashes the path it names (content decides, not events or mtimes); a sync
// cookie orders the answer after every edit made before the question; and whenever
// events may have been lost, a rescan plus complete=false instead of a guess.

import { mkdir } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { silentLogger, type Logger } from '../common/logger.js';
import { FileIndex, loadState, persistedStatePieces, Persister, writeStatePieces } from './file-index.js';
import { HeaderGraph } from './header-graph.js';
import { nodeIO, type DiscoveryIO } from './io.js';
import { Journal } from './journal.js';
import { CONFIG_FILE_KEYS, WatchScope } from '../common/watch-scope.js';
import { CookieWaiter, SharedRounds, type CookieTarget } from './sync.js';
import type { ChangeKind, ChangesResult, DiscoveryStatus } from './types.js';
import { OutsideHashes } from './outside-hashes.js';
import { TreeReconciler } from './tree-reconciler.js';
import { startTreeWatcher, type TreeWatcher } from './watcher.js';
import { isPlainRelative } from '../../fs/plain-path.js';
import { isoTime } from '../common/iso-time.js';

export type { Change, ChangeKind, ChangesResult, DiscoveryStatus, ShadowHit } from './types.js';

export interface DiscoveryOptions {
  /** Absolute project root. */
  root: string;
  /** Include dirs to watch besides the root (absolute or root-relative). Ones inside the
   *  project are covered by the root; ones around it are not watched (stat+hash fallback). */
  watchRoots?: readonly string[];
  /** ignored_patterns of daemon_config.toml. */
  ignored?: readonly string[];
  /** Poll at watchInterval instead of native events (daemon_config use_polling). */
  usePolling?: boolean;
  /** ms; only used when polling. */
  watchInterval?: number;
  /** Relative to root or absolute; never watched. Default "build". */
  buildDir?: string;
  /** false: no watcher at all, every sync is a stat rescan (for --no-daemon and CI). */
  watch?: boolean;
  /** Default <root>/.replibuild/state/discovery-index.json. */
  stateFile?: string;
  /** File access; tests inject a counting one. */
  io?: DiscoveryIO;
  logger?: Logger;
  /** How long a sync waits for its cookies before rescanning instead. Default 2000 ms. */
  syncTimeoutMs?: number;
  /** Journal entries retained. Default 100,000. */
  journalLimit?: number;
  /** Index saves are debounced by this much. Default 1000 ms. */
  persistDelayMs?: number;
  /** Files whose content changes onConfigFileChange announces (root-relative or absolute).
   *  Default replibuild.toml and .replibuild/daemon_config.toml. */
  configFiles?: readonly string[];
}

export interface HashOptions {
  /** Skip the sync round: for a caller that has just synced (e.g. right after changesSince). */
  sync?: boolean;
}

type ConfigListener = (path: string, kind: ChangeKind) => void;

/** Saves wait for this much quiet after a build's request, at most SAVE_MAX_DELAY_MS. */
const [SAVE_QUIET_MS, SAVE_MAX_DELAY_MS] = [1500, 30_000];

/** Header names recordDepsOf keeps keyed: a project's headers, not its sources. */
const HEADER_KEYS_MAX = 20_000;

/** Errors after which native watching cannot be trusted to cover the tree any more. */
const WATCH_LIMIT_CODES = new Set(['ENOSPC', 'EMFILE', 'ENFILE']);

export class DiscoveryService {
  private readonly scope: WatchScope;
  private readonly io: DiscoveryIO;
  private readonly log: Logger;
  private readonly stateFile: string;
  private journal: Journal;
  private readonly index: FileIndex;
  private readonly tree: TreeReconciler;
  private readonly graph: HeaderGraph;
  private watcher: TreeWatcher | null = null;
  private readonly cookies: CookieWaiter;
  private readonly rounds: SharedRounds<void>;
  private readonly persister: Persister;
  /** When a build last asked (changesSince, recordDeps): saves wait for quiet (Persister). */
  private lastAskedMs = 0;
  /** Header path → key, across recordDeps requests (recordDepsOf). */
  private readonly headerKeys = new Map<string, string>();

  /** Files outside every watched root, hashed by stat. */
  private readonly outside: OutsideHashes;
  private readonly configListeners = new Set<ConfigListener>();
  private readonly changeListeners = new Set<() => void>();
  private readonly configKeys: Set<string>;
  /** The project's cookie goes to .replibuild/, not the root: a directory that few other
   *  events touch (chokidar, which polls now, re-read a directory on every event in it).
   *  Any watched directory will do, as all watches share one inotify queue. */
  private readonly cookieTargets: CookieTarget[];

  private rescanReason: string | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private rescanning: Promise<boolean> | null = null;
  private degraded = false;
  private opened = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private cleanClose = false;
  private readonly counters = { rescans: 0, syncRounds: 0, cookieTimeouts: 0 };

  private constructor(
    opts: DiscoveryOptions,
    scope: WatchScope,
    loaded: Awaited<ReturnType<typeof loadState>>,
    continuous: boolean,
  ) {
    this.scope = scope;
    this.io = opts.io ?? nodeIO();
    this.log = opts.logger ?? silentLogger;
    this.stateFile = opts.stateFile ?? join(scope.root, '.replibuild', 'state', 'discovery-index.json');
    this.index = loaded?.index ?? new FileIndex();
    this.tree = new TreeReconciler(scope, this.io, this.index, this.log, {
      record: (key, kind) => this.record(key, kind),
      dirty: () => this.persister.markDirty(),
      trouble: (reason) => this.trouble(reason),
      confirmsNewDirs: () => this.watcher !== null && !this.watcher.polling,
    });
    this.outside = new OutsideHashes(this.io);
    this.graph = HeaderGraph.fromJSON(loaded?.deps ?? {});
    this.journal = new Journal({
      id: continuous ? loaded!.journal_id : undefined,
      epoch: loaded?.epoch ?? 0,
      snapshot: continuous ? loaded!.journal : undefined,
      limit: opts.journalLimit,
    });
    this.configKeys = new Set((opts.configFiles ?? CONFIG_FILE_KEYS).map((f) => scope.toKey(scope.toAbs(f))));
    this.cookies = new CookieWaiter(opts.syncTimeoutMs ?? 2000);
    this.cookieTargets = scope.roots.map((r) => ({ root: r, dirs: r === scope.root ? [join(r, '.replibuild'), r] : [r] }));
    this.rounds = new SharedRounds(() => this.syncRound());
    this.persister = new Persister(
      () => this.save(),
      opts.persistDelayMs ?? 1000,
      (e) => this.log.error(`discovery: saving ${this.stateFile} failed: ${String(e)}`),
      // Put off while builds ask: at 20,000 TUs a cold build's header lists, filed in the
      // seconds after its answer, made two or three saves of half a second each in the
      // no-ops that followed. Only a restart after a crash reads what this saves.
      { lastAskedMs: () => this.lastAskedMs, quietMs: SAVE_QUIET_MS, maxDelayMs: SAVE_MAX_DELAY_MS },
    );
  }

  /**
   * Loads the persisted index, starts watching, then rescans against the index (stat;
   * hash only where stat differs) and journals what changed while no one was watching.
   * The journal continues (same journal_id, epochs after the persisted one) only if the
   * index was saved by a clean close; otherwise it starts anew and old epochs answer
   * complete=false.
   */
  static async open(opts: DiscoveryOptions): Promise<DiscoveryService> {
    const scope = new WatchScope({ root: opts.root, extraRoots: opts.watchRoots, ignored: opts.ignored, buildDir: opts.buildDir });
    const rootStat = await (opts.io ?? nodeIO()).stat(scope.root);
    if (rootStat?.kind !== 'dir') throw new Error(`discovery: project root ${scope.root} is not a directory`);
    const stateFile = opts.stateFile ?? join(scope.root, '.replibuild', 'state', 'discovery-index.json');
    const loaded = await loadState(stateFile, scope.root);
    const continuous = loaded !== null && loaded.clean;
    const svc = new DiscoveryService(opts, scope, loaded, continuous);
    for (const r of scope.droppedRoots) svc.log.info(`discovery: ${r} is not watched separately (inside or around another root)`);
    try {
      // From here a crash must not look like a clean close; if that cannot be written,
      // this run must not continue the journal either.
      if (continuous) {
        try {
          await svc.persister.flush(true);
        } catch (e) {
          svc.log.warn(`discovery: cannot write ${stateFile} (${String(e)}); starting a new journal`);
          svc.journal = new Journal({ epoch: svc.journal.epoch, limit: opts.journalLimit });
        }
      }
      if (opts.watch !== false) {
        await mkdir(join(scope.root, '.replibuild'), { recursive: true });
        svc.watcher = await startTreeWatcher({
          roots: scope.roots,
          usePolling: opts.usePolling ?? false,
          interval: opts.watchInterval ?? 1000,
          isIgnored: (p) => scope.isIgnored(p),
          isRootAlias: (p) => scope.isRootAliasLink(p),
          isCookieName: (n) => scope.isCookieName(n),
          sink: {
            hint: (abs, self) => {
              if (!svc.closed || svc.closing) svc.tree.hint(abs, self);
            },
            cookie: (name) => svc.cookies.seen(name),
            active: (dir) => svc.tree.confirm(dir),
            trouble: (reason, err) => svc.trouble(reason, err),
          },
        });
      }
      // Watching first, then the scan: an edit during the scan is seen by one or both.
      await svc.rescanAll();
      await svc.flush();
      // A new journal has no callers yet: what the first scan found is its starting state.
      if (!continuous) svc.journal = new Journal({ epoch: svc.journal.epoch, limit: opts.journalLimit });
      svc.opened = true;
      svc.persister.markDirty();
      svc.log.info(
        `discovery: watching ${svc.index.size} files under ${scope.roots.join(', ')}` +
          ` (${svc.watcher ? (svc.watcher.polling ? 'polling' : 'native events') : 'no watcher'}, journal ${continuous ? 'continued' : 'new'})`,
      );
      return svc;
    } catch (e) {
      svc.closed = true;
      svc.stopTimers();
      await svc.watcher?.close().catch(() => undefined);
      throw e;
    }
  }

  // ------------------------------------------------------------------ queries

  /** Brings the index up to date with every edit made before this call. */
  sync(): Promise<void> {
    this.assertOpen();
    return this.rounds.run();
  }

  /** Changes since `epoch` of journal `journalId` (both from the caller's previous answer). */
  async changesSince(epoch: number, journalId?: string | null): Promise<ChangesResult> {
    this.lastAskedMs = Date.now();
    await this.sync();
    const a = { ...this.journal.changesSince(epoch, journalId), scope: this.scope.describe() };
    const shadowing = [];
    for (const c of a.changes) {
      if (c.kind !== 'added') continue;
      const sources = this.graph.shadowedBy(c.path);
      if (sources.length > 0) shadowing.push({ path: c.path, sources });
    }
    return { ...a, shadowing };
  }

  /** sha256 hex of a file's content, null if it does not exist. Watched files are answered
   *  from memory (after a sync); others by stat, and a read only when stat moved. */
  async hash(path: string, opts: HashOptions = {}): Promise<string | null> {
    return (await this.hashMany([path], opts))[0]!;
  }

  async hashMany(paths: readonly string[], opts: HashOptions = {}): Promise<(string | null)[]> {
    this.assertOpen();
    const abs = paths.map((p) => this.scope.toAbs(p));
    const watched = abs.filter((a) => this.scope.isWatched(a));
    if (opts.sync !== false && watched.length > 0) {
      if (this.eventsTrusted()) await this.sync();
      else {
        // Without ordered events a sync is a full stat walk; these few paths need only their own stat.
        await this.flush();
        await Promise.all(watched.map((a) => this.tree.serial(this.scope.toKey(a), () => this.tree.reconcile(a, 'scan'))));
      }
    }
    return Promise.all(
      abs.map((a) => {
        const key = this.scope.toKey(a);
        if (this.scope.isWatched(a) && !this.tree.suspect.has(key)) return this.index.hashOf(key) ?? null;
        return this.outside.hash(a);
      }),
    );
  }

  /** Records the headers a source included (from its depfile); persisted with the index. */
  recordDeps(source: string, headers: readonly string[]): void {
    this.recordDepsOf([{ source, headers }]);
  }

  /** recordDeps of many sources: they read mostly the same headers, so each name is keyed once. */
  recordDepsOf(entries: readonly { source: string; headers: readonly string[] }[]): void {
    this.assertOpen();
    this.lastAskedMs = Date.now();
    const keys = this.headerKeys;
    // A cold build's lists come in many requests (the orchestrator's DEPS_BATCH), each
    // naming the same headers again: kept across them, a header is resolved once, not
    // once per batch (at 20,000 TUs, a second of discovery's CPU right after the build).
    if (keys.size > HEADER_KEYS_MAX) keys.clear();
    const key = (p: string): string => {
      let k = keys.get(p);
      if (k === undefined) keys.set(p, (k = this.index.canonical(this.keyOf(p))));
      return k;
    };
    for (const e of entries) this.graph.record(this.index.canonical(this.keyOf(e.source)), e.headers.map(key));
    this.persister.markDirty();
  }

  forgetDeps(source: string): void {
    this.assertOpen();
    this.graph.forget(this.keyOf(source));
    this.persister.markDirty();
  }

  /** Sources affected by changes to `paths`: includers, and paths that are sources themselves. */
  dependents(paths: readonly string[]): string[] {
    return this.graph.dependents(paths.map((p) => this.keyOf(p)));
  }

  /** Sources whose recorded headers share a basename with one of the added paths. */
  shadowCandidates(addedPaths: readonly string[]): string[] {
    return this.graph.shadowCandidates(addedPaths.map((p) => this.keyOf(p)));
  }

  headersOf(source: string): readonly string[] {
    return this.graph.headersOf(this.keyOf(source));
  }

  /** Called when replibuild.toml or .replibuild/daemon_config.toml (see configFiles) is
   *  added, removed or changes in content. Returns a function that unsubscribes. */
  /** Called after any change is journaled (for `replibuild watch`); returns an unsubscribe. */
  onChange(cb: () => void): () => void {
    this.changeListeners.add(cb);
    return () => this.changeListeners.delete(cb);
  }

  onConfigFileChange(cb: ConfigListener): () => void {
    this.configListeners.add(cb);
    return () => this.configListeners.delete(cb);
  }

  status(): DiscoveryStatus {
    return {
      watched_files: this.index.size,
      epoch: this.journal.epoch,
      journal_id: this.journal.id,
      roots: [...this.scope.roots],
      polling: this.watcher?.polling ?? false,
      degraded: this.degraded || this.watcher === null,
      journal_floor: this.journal.floor,
      journal_entries: this.journal.length,
      sources_with_deps: this.graph.sourceCount,
      rescans: this.counters.rescans,
      sync_rounds: this.counters.syncRounds,
      cookie_timeouts: this.counters.cookieTimeouts,
    };
  }

  /** Stops watching and saves the index (unless `saveState` is false: the project is no
   *  longer this daemon's); a clean close lets the next open continue the journal. */
  close(opts: { saveState: boolean } = { saveState: true }): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      await this.rounds.idle();
      await this.watcher?.close();
      this.watcher = null;
      await this.flush();
      while (this.rescanning) await this.rescanning;
      this.stopTimers();
      // Events may have been lost and no rescan made up for them: the next start must not
      // hand out complete answers from this journal.
      this.cleanClose = this.opened && this.rescanReason === null;
      if (opts.saveState) await this.persister.flush(true);
    })();
    return this.closing;
  }


  private trouble(reason: string, err?: Error): void {
    if (this.closed) return;
    this.log.warn(`discovery: ${reason}; rescanning`);
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code && WATCH_LIMIT_CODES.has(code) && !this.degraded) {
      this.degraded = true;
      this.log.warn('discovery: native watching is incomplete (watch or file limit); every sync now rescans by stat');
    }
    this.rescanReason ??= reason;
    this.rescanTimer ??= setTimeout(() => {
      this.rescanTimer = null;
      void this.runRescan();
    }, 50);
  }

  /** Rescans and invalidates the journal; false if the rescan itself failed. A trouble
   *  reported during the rescan (a directory that cannot be listed) stays pending, so the
   *  next sync rescans again and answers stay incomplete while the problem lasts. */
  private runRescan(): Promise<boolean> {
    if (this.rescanning) return this.rescanning;
    const reason = this.rescanReason;
    if (reason === null) return Promise.resolve(true);
    this.rescanReason = null;
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = null;
    this.rescanning = (async () => {
      await this.flush();
      await this.rescanAll();
      this.journal.invalidate(`events may have been lost (${reason}); rescanned`);
      return true;
    })()
      .catch((e) => {
        this.log.error(`discovery: rescan failed: ${String(e)}`);
        this.rescanReason ??= reason;
        return false;
      })
      .finally(() => {
        this.rescanning = null;
      });
    return this.rescanning;
  }

  private async syncRound(): Promise<void> {
    this.counters.syncRounds++;
    while (this.rescanning) await this.rescanning;
    if (this.rescanReason !== null && !(await this.runRescan())) {
      throw new Error(`discovery: rescan failed (${this.rescanReason}); no answer rather than a stale one`);
    }
    if (!this.eventsTrusted()) {
      // Polled stats have no order to sync with, so sync by looking: a stat walk.
      await this.flush();
      await this.rescanAll();
      return;
    }
    const probes = [...this.tree.unconfirmed];
    const r = await this.cookies.round(this.cookieTargets, probes);
    await this.flush();
    // All watches share one inotify queue: one cookie seen orders every root's events,
    // even those of read-only roots. Without any, or for a root whose own cookie got
    // lost (its watch is broken), look instead.
    const lost = r.seen === 0 ? [...r.unwritable, ...r.timedOut] : r.timedOut;
    if (r.timedOut.length > 0) {
      this.counters.cookieTimeouts += r.timedOut.length;
      this.log.warn(`discovery: sync cookie not seen in ${r.timedOut.join(', ')}; rescanning there`);
    }
    const walks = lost.map((d) => this.tree.walk(d, false));
    // New directories: files made there before they were watched made no event.
    const recheck = new Set([...this.tree.unconfirmed, ...this.tree.confirmed]);
    this.tree.confirmed.clear();
    for (const d of recheck) walks.push(this.tree.walk(d, false));
    await Promise.all(walks);
    await this.flush();
  }

  // ------------------------------------------------------------------ helpers

  /** Everything hinted so far is looked at, and every operation started so far is done. */
  private flush(): Promise<void> {
    return this.tree.flush();
  }

  /** Stat every watched file, hash where stat moved (or the entry is racy). */
  private rescanAll(): Promise<void> {
    this.counters.rescans++;
    return this.tree.rescanAll();
  }

  private record(key: string, kind: ChangeKind): void {
    this.journal.record(key, kind);
    if (this.opened) for (const cb of this.changeListeners) cb();
    if (this.opened && this.configKeys.has(key)) {
      for (const cb of this.configListeners) {
        try {
          cb(key, kind);
        } catch (e) {
          this.log.error(`discovery: config change listener failed: ${String(e)}`);
        }
      }
    }
  }

  /** Native events, all watches in place: a cookie round is a complete sync. */
  private eventsTrusted(): boolean {
    return this.watcher !== null && !this.watcher.polling && !this.degraded;
  }

  private keyOf(path: string): string {
    // A plain relative path (how the orchestrator names sources) is its own key: at
    // 20,000 TUs a cold build's lists would otherwise resolve every source name again.
    if (sep === '/' && isPlainRelative(path)) return path;
    return this.scope.toKey(this.scope.toAbs(path));
  }

  private stopTimers(): void {
    this.tree.stopTimers();
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    this.rescanTimer = null;
    this.persister.cancel();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('discovery service is closed');
  }

  private async save(): Promise<void> {
    // Made as it is written, in one synchronous stretch: one moment's index, graph and journal.
    await writeStatePieces(this.stateFile, () => {
      const head = {
        version: 1 as const,
        root: this.scope.root,
        journal_id: this.journal.id,
        epoch: this.journal.epoch,
        clean: this.cleanClose,
        saved_at: isoTime(),
        journal: this.journal.snapshot(),
      };
      return persistedStatePieces(head, this.index, this.graph.entries());
    }, this.scope.root);
  }
}
