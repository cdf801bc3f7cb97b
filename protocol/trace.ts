// What a build did and why, as kept in .replibuild/traces/<id>.json (the last 20
// builds): every compile and link that ran or was meant to, its job slot, times,
// outcome, the planner's reason and the compile cache's answer. `why`, `compile
// --explain` and `report` read it; the orchestrator (daemon or in-process) writes it.

/** Why the planner rebuilt a TU or relinked a target. One union for both: a reason
 *  names the file that made the difference wherever there is one. */
export type RebuildReason =
  | { kind: 'no-previous-build' }
  | { kind: 'compiler-changed' }
  /** The compile command's hash differs: flags, defines, include dirs or std. */
  | { kind: 'flags-changed' }
  | { kind: 'object-missing' }
  /** The object on disk is not the one the last build produced. */
  | { kind: 'object-changed' }
  | { kind: 'source-missing' }
  | { kind: 'source-changed' }
  | { kind: 'header-changed'; header: string }
  | { kind: 'header-removed'; header: string }
  /** A new file would be found before a header the TU read (include-search.ts). */
  | { kind: 'header-shadowed'; header: string }
  /** The last build recorded no include search context to check shadowing against. */
  | { kind: 'search-unrecorded' }
  /** The precompiled header it compiles with is rebuilt in this build (pch-plan.ts). */
  | { kind: 'pch-rebuilt'; header: string }
  | { kind: 'link-command-changed' }
  | { kind: 'output-missing' }
  | { kind: 'output-changed' }
  /** The list of inputs differs (a source added or removed). */
  | { kind: 'inputs-changed' }
  | { kind: 'input-changed'; input: string }
  | { kind: 'object-recompiled'; object: string }
  | { kind: 'dependency-relinked'; target: string };

/** Why direct mode found nothing for a compile the cache then ran. */
export type CacheMiss =
  /** No manifest for this source text, command line and compiler: never compiled so. */
  | { kind: 'first-compile' }
  /** A manifest, but no entry of it holds; `detail` is the first reason found
   *  ("header include/a.h changed or is gone"). */
  | { kind: 'entries-stale'; detail: string }
  /** A manifest exists but could not be read (corrupt, evicted). */
  | { kind: 'manifest-unreadable' };

/** The compile cache's answer for one compile. */
export type CacheLookup =
  | { mode: 'direct' | 'preprocessed' }
  /** Compiled, in the mode that stored the result for next time. */
  | { mode: 'depend' | 'preprocessor'; miss: CacheMiss }
  | { mode: 'uncacheable'; detail: string }
  /** The cache directory was refused or unusable; the compiler ran. */
  | { mode: 'off'; detail: string }
  /** The cache itself failed on this compile (counted); the compiler ran. */
  | { mode: 'error' };

export type StepOutcome = 'compiled' | 'linked' | 'cached' | 'up-to-date' | 'failed' | 'skipped';

export interface TraceStep {
  kind: 'compile' | 'link';
  /** A compile that made a precompiled header, not a TU's object. */
  pch?: true;
  target: string;
  /** The TU's source, or the link's output. */
  name: string;
  /** The object a compile writes. */
  object?: string;
  outcome: StepOutcome;
  reason: RebuildReason | null;
  /** ms since the build started, and the job slot; absent for a step that took no slot. */
  start?: number;
  end?: number;
  lane?: number;
  cache?: CacheLookup;
  /** Links: indices in `steps` of what it waited for (its TUs, its dependencies' links). */
  deps?: number[];
}

/** A header and the time spent compiling the TUs of this build that read it. */
export interface HeaderCost {
  path: string;
  ms: number;
  includers: number;
}

/** A precompiled header a build planned (daemons/orchestrator/pch-plan.ts). */
export interface PchUse {
  target: string;
  header: string;
  /** TUs whose leading includes start with its prefix. */
  users: number;
  /** Its last real compile, from the build state. */
  build_ms?: number;
  /** Measured saving per build that compiles every user, its own compile deducted
   *  (pch-payoff.ts); absent until measured. */
  saved_ms?: number;
  /** saved_ms is an upper bound estimated without a plain compile time (pch-payoff.ts). */
  estimated?: true;
  used: boolean;
  /** Why it is not used: "the compiler refused it", "does not pay". */
  why?: string;
}

export const TRACE_VERSION = 1;

export interface BuildTrace {
  version: typeof TRACE_VERSION;
  /** Sequence number in .replibuild/traces; `report 12` names it. */
  id: number;
  build_id: string;
  /** ISO time the build started. */
  started_at: string;
  build_dir: string;
  /** Requested targets; empty = all. */
  targets: string[];
  /** Job slots the build could use at once. */
  jobs: number;
  ok: boolean;
  error?: string;
  seconds: number;
  /** TUs in the selected targets, and how many of them were up to date. */
  tus: number;
  up_to_date: number;
  /** Answered from the change journal without planning: nothing looked at, nothing ran.
   *  The no-ops right after it, of the same targets, answer with this trace and write none. */
  noop?: boolean;
  steps: TraceStep[];
  /** The most expensive headers inside the project, then outside it (system, SDKs). */
  header_costs: { project: HeaderCost[]; external: HeaderCost[] };
  /** The precompiled headers it planned; absent: none. */
  pchs?: PchUse[];
}
