// Wire types of the discovery daemon: what changed since an epoch, and hashes it holds.

export type ChangeKind = 'added' | 'changed' | 'removed';

/** A path is relative to the project root with forward slashes, or absolute when it
 *  lies under a watch root outside the project. */
export interface Change {
  path: string;
  kind: ChangeKind;
}

/** A newly added file whose basename matches a header some recorded source included:
 *  depending on the include path it may now shadow that header. */
export interface ShadowHit {
  path: string;
  sources: string[];
}

export interface ChangesResult {
  /** The current epoch: pass it (with journal_id) to the next call. */
  epoch: number;
  journal_id: string;
  /** False whenever `changes` may miss something; the caller must then plan by stat+hash. */
  complete: boolean;
  /** Why the answer is incomplete (for logs); absent when complete. */
  reason?: string;
  /** One entry per path, the net effect since the given epoch, in order of first change. */
  changes: Change[];
  shadowing: ShadowHit[];
  /** What the journal covers: only paths this scope watches (see WatchScope.describe);
   *  anything else the caller must look at itself. Absent from older daemons. */
  scope?: WatchedScope;
}

export interface WatchedScope {
  /** The project root first, then the watched roots outside it (absolute). */
  roots: string[];
  ignored: string[];
  build_dir: string;
}

export interface DiscoveryStatus {
  watched_files: number;
  epoch: number;
  journal_id: string;
  roots: string[];
  polling: boolean;
  /** Native watching failed (e.g. inotify watch limit): every sync is a stat rescan. */
  degraded: boolean;
  /** Epochs at or after this one can be answered completely. */
  journal_floor: number;
  journal_entries: number;
  sources_with_deps: number;
  rescans: number;
  sync_rounds: number;
  cookie_timeouts: number;
}

export interface DepsEntry {
  source: string;
  headers: string[];
}

/** What the orchestrator needs of discovery, in-process or remote. */
export interface DiscoveryApi {
  /** Synchronizes with the file events first (cookie), so nothing saved before the call is missed.
   *  `configGeneration`: the newest setup generation the caller has seen; when discovery's watch
   *  scope was derived from another, it re-derives it first. */
  changesSince(epoch: number, journalId: string | null, configGeneration?: number): Promise<ChangesResult>;
  /** Hashes discovery holds (after the sync of the last changesSince); null = missing. */
  hashMany(paths: string[]): Promise<(string | null)[]>;
  recordDeps(entries: DepsEntry[]): Promise<void>;
}
