// Keeps the file index in line with the disk: one path at a time (reconcile), a
// directory tree (walk) or every root (rescanAll), with the watcher's hints queued and
// drained in bursts. Operations on one path never interleave (serial). What changed is
// reported through hooks: the service journals it, saves the index and rescans on trouble.

import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import PQueue from 'p-queue';
import type { Logger } from '../common/logger.js';
import { entryFor, nowNs, statUnchanged, type FileIndex } from './file-index.js';
import type { DiscoveryIO } from './io.js';
import type { WatchScope } from '../common/watch-scope.js';
import type { ChangeKind } from './types.js';

/** `event`: a watcher named the path; `self`: only events on the path itself (a
 *  directory's attributes); `scan`: a rescan, which trusts an unchanged stat. */
export type ReconcileMode = 'event' | 'self' | 'scan';

export interface ReconcilerHooks {
  /** A change to journal. */
  record(key: string, kind: ChangeKind): void;
  /** The index changed: save it (debounced). */
  dirty(): void;
  /** Something makes the index's completeness unknown (a directory that cannot be listed): rescan. */
  trouble(reason: string): void;
  /** Whether a native watcher runs, so directories that appear must show their watch works. */
  confirmsNewDirs(): boolean;
}

const MAX_WALK_DEPTH = 64;
/** Files a walk stats (and hashes) at once. */
const WALK_CONCURRENCY = 64;

export class TreeReconciler {
  /** Paths named by events, not yet looked at; true = only self events (see watcher.ts). */
  private readonly pending = new Map<string, boolean>();
  private drainTimer: NodeJS.Timeout | null = null;
  /** The last operation per path key: work on one path never interleaves. */
  private readonly ops = new Map<string, Promise<void>>();
  /** Directories that appeared while watching, whose watch has not shown itself yet:
   *  files created in them before the watcher watched them made no event. */
  readonly unconfirmed = new Set<string>();
  readonly confirmed = new Set<string>();
  /** Keys whose last read failed unexpectedly: their hash is not known, so read on demand. */
  readonly suspect = new Set<string>();

  constructor(
    private readonly scope: WatchScope,
    private readonly io: DiscoveryIO,
    readonly index: FileIndex,
    private readonly log: Logger,
    private readonly hooks: ReconcilerHooks,
  ) {}

  /** A new directory's watch reported an event: it works. */
  confirm(dir: string): void {
    if (this.unconfirmed.delete(dir)) this.confirmed.add(dir);
  }

  stopTimers(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
  }

  /** A watcher event named `abs`; `self`: only events on the path itself (see watcher.ts). */
  hint(abs: string, self: boolean): void {
    const prev = this.pending.get(abs);
    this.pending.set(abs, prev === undefined ? self : prev && self);
    // A short delay lets a burst of writes be read once; sync does not wait for it. Short:
    // a save reaches the orchestrator's compile-ahead this much later (10 ms was a third of
    // the CLI's start, the time that compile has to run unseen).
    this.drainTimer ??= setTimeout(() => this.drain(), 2);
  }

  /** Starts looking at every path hinted so far. */
  drain(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
    const items = [...this.pending];
    this.pending.clear();
    for (const [abs, self] of items) this.serial(this.scope.toKey(abs), () => this.reconcile(abs, self ? 'self' : 'event'));
  }

  /** Everything hinted so far is looked at, and every operation started so far is done. */
  async flush(): Promise<void> {
    this.drain();
    await Promise.all([...this.ops.values()]);
  }

  /** Runs `fn` after every operation already started on `key`; an unexpected failure
   *  marks the path suspect (readFailed) instead of rejecting. */
  serial(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.ops.get(key);
    const run = () => fn().catch((e) => this.readFailed(key, e));
    const p = prev ? prev.then(run) : run();
    this.ops.set(key, p);
    void p.then(() => {
      if (this.ops.get(key) === p) this.ops.delete(key);
    });
    return p;
  }

  /** An unexpected I/O error (EIO, EMFILE...): the content is unknown, so say it changed
   *  and answer hash() for it from disk until an event or rescan reads it again. */
  private readFailed(key: string, e: unknown): void {
    this.log.warn(`discovery: reading ${key} failed: ${String(e)}`);
    if (this.index.delete(key)) this.hooks.dirty();
    this.suspect.add(key);
    this.hooks.record(key, 'changed');
  }

  /** Looks at one path and brings the index in line with it. `scan` trusts an unchanged
   *  stat; events never do (a write in the same mtime tick leaves stat unchanged). */
  async reconcile(abs: string, mode: ReconcileMode): Promise<void> {
    const key = this.scope.toKey(abs);
    if (key === '') return; // the root itself: its entries have their own events
    if (this.scope.isIgnored(abs)) {
      if (this.index.has(key)) this.remove(key);
      return;
    }
    const st = await this.io.stat(abs);
    if (st === null || st.kind === 'other') {
      this.removeTree(key, abs);
      return;
    }
    const e = this.index.get(key);
    if (st.kind === 'dir') {
      if (e) this.remove(key);
      if (this.scope.isRootAliasLink(abs)) {
        // A link (new, or repointed) to a root or a dir around one: not followed (see walk).
        if (this.index.hasDir(key)) for (const k of this.index.under(key)) this.remove(k);
        return;
      }
      // A directory's own watch reports attribute changes on it: nothing to walk.
      if (mode !== 'self') await this.walk(abs, mode === 'event');
      return;
    }
    if (!e && this.index.hasDir(key)) for (const k of this.index.under(key)) this.remove(k);
    if (mode === 'scan' && e && statUnchanged(e, st)) return;
    const hash = await this.io.hashFile(abs);
    if (hash === null) {
      if (e) this.remove(key);
      return;
    }
    this.suspect.delete(key);
    // The stat from before the read: if the file changed after it, the next look at
    // this path sees a different stat and reads again, never the reverse.
    this.index.set(key, entryFor(st, hash, nowNs()));
    this.hooks.dirty();
    if (!e) this.hooks.record(key, 'added');
    else if (e.hash !== hash) this.hooks.record(key, 'changed');
  }

  private remove(key: string): void {
    this.index.delete(key);
    this.suspect.delete(key);
    this.hooks.dirty();
    this.hooks.record(key, 'removed');
  }

  private removeTree(key: string, abs: string): void {
    if (this.index.has(key)) this.remove(key);
    if (this.index.hasDir(key)) for (const k of this.index.under(key)) this.remove(k);
    for (const d of this.unconfirmed) if (d === abs || d.startsWith(abs + '/')) this.unconfirmed.delete(d);
  }

  /**
   * Reconciles every file under `dir` and drops index entries the walk did not find.
   * `fresh`: the directory just appeared, so it is not known to be watched yet.
   */
  async walk(dir: string, fresh: boolean): Promise<void> {
    const found = new Set<string>();
    const followed = new Set<string>();
    // A few files looked at at once, not every file of the tree: each stat in flight holds
    // a request and its stat array outside V8's heap, and a start's scan of 20,000 files
    // all at once made discovery's peak RSS several times its idle one (and its malloc
    // heap never gave it all back). The thread pool does four at a time anyway. The
    // listing also waits while the queue is full: queued, each file holds a task, its
    // closures and promises (about 7 MB at 20,000 files when all were queued at once).
    const slots = new PQueue({ concurrency: WALK_CONCURRENCY });
    const visit = async (d: string, depth: number): Promise<void> => {
      if (fresh && this.hooks.confirmsNewDirs()) this.unconfirmed.add(d);
      let ents;
      try {
        ents = await this.io.readdir(d);
      } catch (e) {
        // Not "gone" but unlistable (EIO...): what is in there is unknown, so nobody gets a
        // complete answer until a rescan lists it.
        this.hooks.trouble(`listing ${d} failed: ${String(e)}`);
        return;
      }
      if (ents === null || depth > MAX_WALK_DEPTH) return;
      const subdirs: Promise<void>[] = [];
      for (const ent of ents) {
        if (this.scope.isIgnoredEntry(d, ent.name)) continue;
        const abs = join(d, ent.name);
        let kind = ent.kind;
        if (kind === 'symlink') {
          kind = (await this.io.stat(abs))?.kind ?? 'other';
          if (kind === 'dir') {
            // Followed like chokidar does, each target once; never one to a root or around
            // one ('lnk -> ..'): that would index the project again, or its whole parent tree.
            const real = await realpath(abs).catch(() => abs);
            if (followed.has(real) || this.scope.aliasesRoot(real)) continue;
            followed.add(real);
          }
        }
        if (kind === 'file') {
          const key = this.scope.toKey(abs);
          found.add(key);
          if (slots.size >= WALK_CONCURRENCY) await slots.onSizeLessThan(WALK_CONCURRENCY);
          // serial() inside the slot: its chain per path exists only while the file's turn runs.
          void slots.add(() => this.serial(key, () => this.reconcile(abs, 'scan')));
        } else if (kind === 'dir') {
          subdirs.push(visit(abs, depth + 1));
        }
      }
      await Promise.all(subdirs);
    };
    await visit(dir, 0);
    await slots.onIdle();
    const gone: Promise<void>[] = [];
    for (const k of this.index.under(this.scope.toKey(dir))) {
      if (!found.has(k)) gone.push(this.serial(k, () => this.reconcile(this.scope.toAbs(k), 'scan')));
    }
    await Promise.all(gone);
  }

  /** Stat every watched file, hash where stat moved (or the entry is racy). */
  async rescanAll(): Promise<void> {
    await Promise.all(this.scope.roots.map((r) => this.walk(r, false)));
    // Entries of roots no longer configured.
    for (const k of [...this.index.keys()]) {
      if (this.scope.rootOf(this.scope.toAbs(k)) === null) this.serial(k, () => this.reconcile(this.scope.toAbs(k), 'scan'));
    }
    await this.flush();
  }
}
