// Wire types of a build: the compile jobs the orchestrator sends to the
// compilation daemon, their results, and the progress events streamed to the client.
import type { CacheLookup } from './trace.js';

/** One translation unit to compile. Paths are relative to `cwd` (the project root),
 *  so diagnostics come out relative and VSCode's $gcc matcher resolves them. */
export interface CompileJob {
  /** Absolute project root; the compiler runs here. */
  cwd: string;
  /** Compiler command as configured ("g++", "/usr/bin/clang++"). */
  compiler: string;
  /** Arguments except the output and dependency-file ones, which the runner adds:
   *  e.g. ["-std=c++17", "-O2", "-Iinclude", "-DX=1", "-c", "src/a.cpp"]. */
  args: string[];
  source: string;
  /** Object path, e.g. "build/obj/app/src/a.cpp.o". */
  object: string;
  /** Depfile path written beside the object, e.g. "build/obj/app/src/a.cpp.d". */
  depfile: string;
  /** Groups jobs of one build, so the build can be cancelled as a whole. */
  build_id?: string;
  /** The precompiled header this compile uses: the `.gch` beside the header its
   *  `-include` names (daemons/orchestrator/pch-plan.ts). The runner lists it in the
   *  depfile (gcc lists neither it nor the headers inside it), so the build state and
   *  the compile cache key the object on it. */
  pch?: string;
}

export type CompileOutcome = 'compiled' | 'cached' | 'failed';

export interface CompileResult {
  outcome: CompileOutcome;
  exit_code: number;
  /** Compiler stderr, exactly as it printed it (replayed on a cache hit). */
  stderr: string;
  duration_ms: number;
  /** Headers the TU read, from the compiler's depfile, as the compiler named them
   *  (relative to cwd where it was given relative include dirs), the source excluded. */
  headers: string[];
  /** Why the cache could not be used, when it could not ("__DATE__", "-E", ...). */
  uncacheable_reason?: string;
  /** Hex digest of the compiler identity used (path, size, mtime, version, machine). */
  compiler_id: string;
  /** What the user must know about the cache (refused, results not stored, and why);
   *  the orchestrator shows each distinct note once per build, on stderr. */
  cache_note?: string;
  /** The compile cache's answer: the mode of a hit, or why it missed. Absent when the
   *  compile did not go through the cache. */
  cache?: CacheLookup;
  /** A hit checked with stats taken earlier in the build (cache/build-stats.ts): the
   *  Date.now() before the first of them, less the racy margin of file times (fs/racy.ts).
   *  A file changed since may have changed after
   *  it was looked at; absent: every check was made after the compile was asked for. */
  inputs_checked_ms?: number;
  /** The distcc host that compiled it; absent: this machine (or the cache). */
  compiled_on?: string;
}

/** What a compile batch (CompilationApi.compileBatch) reports of its job `index`, in
 *  order for each job: `started` (`at_ms`: the compilation daemon's Date.now() just
 *  before it ran the job; absent for a job refused or cancelled before it ran), then its
 *  result, or the error a `compile` of it alone would have failed with. A job that ends
 *  in the turn of the event loop it started in (a cache hit) sends no `started`: its
 *  result carries `at_ms` instead. */
export type CompileBatchEvent =
  | { index: number; started: true; at_ms: number }
  | { index: number; result: CompileResult; at_ms?: number }
  | { index: number; error: { code: number; message: string; data?: unknown } }
  /** Dropped unstarted: a job of its build failed (CompileBatchOptions.stopAfterFailure). */
  | { index: number; skipped: true };

export interface CompileBatchOptions {
  /** At most this many jobs of the build (their build_id) run at once, across its
   *  batches; 0: the service's own width bounds them. */
  parallel: number;
  /** A job of the build that fails to compile drops the build's jobs that have not
   *  started, as a build without --keep-going starts nothing after its first failure. */
  stopAfterFailure?: boolean;
  /** Stops the caller's wait (the daemon side is stopped by `cancel`). */
  signal?: AbortSignal;
}

export interface BuildRequest {
  /** Targets to build (with their deps); empty = all. */
  targets: string[];
  /** Parallel compile jobs; 0 = the compilation daemon's parallel_jobs. */
  jobs: number;
  keep_going: boolean;
  verbose: boolean;
  /** Stream an event per TU, link and queue move (default). false (--json): only
   *  diagnostics and messages, which is all such a client shows. */
  progress?: boolean;
  /** Build profile ([profiles.NAME]); '' or absent = the project's default_profile. */
  profile?: string;
}

export interface BuildSummary {
  ok: boolean;
  compiled: number;
  cached: number;
  upToDate: number;
  linked: number;
  failed: number;
  seconds: number;
  /** One line a user can act on when ok is false. */
  error?: string;
  /** The id of this build's trace in .replibuild/traces (`why`, `report`), once written. */
  trace?: number;
  /** Which targets use a precompiled header and what it saves (pch-payoff.ts pchSummary). */
  pch?: string;
}

export type BuildEvent =
  | { type: 'queued'; position: number }
  | { type: 'plan'; total_tus: number; dirty_tus: number; links: number }
  /** A TU began compiling (or looking itself up in the cache): the live line shows what
   *  runs now. `left_ms`: the build's estimate of the time left, when it has one. */
  | { type: 'tu_start'; target: string; source: string; done: number; total: number; left_ms?: number }
  | { type: 'tu'; target: string; source: string; outcome: CompileOutcome; ms: number; done: number; total: number; command?: string; left_ms?: number; on?: string }
  | { type: 'diagnostics'; source: string; text: string }
  /** `cached`: the link cache served the output (no linker ran). `unchanged`: the
   *  relink planned after a recompile was not needed, the objects came out identical;
   *  neither linked nor asked the cache. */
  | { type: 'link'; target: string; output: string; ms: number; cached: boolean; unchanged?: boolean; command?: string }
  /** `warning`: for the user's terminal (stderr) even when only a summary goes to stdout. */
  | { type: 'message'; text: string; warning?: boolean };

export type CompilerKind = 'gcc' | 'clang';

/** Which compiler exactly: keys the cache and the build state. Crosses the wire
 *  from the compilation daemon (which owns it) to the orchestrator. */
export interface CompilerIdentity {
  /** Absolute path as found on PATH. Not realpath'd: clang picks C or C++ mode from argv[0]. */
  path: string;
  /** size, mtime and inode are of the file the path resolves to (symlinks followed). */
  size: number;
  mtime_ms: number;
  ino: number;
  /** `-dumpfullversion` (or `-dumpversion` where that is unknown), e.g. "12.2.0". */
  version: string;
  /** `-dumpmachine`, e.g. "x86_64-linux-gnu". */
  machine: string;
  kind: CompilerKind;
  /** sha256 hex of every field above: the build state's "compiler changed" (a reinstall
   *  of the same version is a new inode, and relinks). */
  id: string;
  /** sha256 hex of every field but the inode: the compile cache's key. Package managers
   *  keep a file's mtime from the package, so the same compiler package on another
   *  machine gives the same value and a shared cache hits there (ccache's mtime check). */
  cache_id: string;
}

export interface IdentityRequest {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What the orchestrator needs of the compilation service, in-process or remote. */
export interface CompilationApi {
  compile(job: CompileJob, signal?: AbortSignal): Promise<CompileResult>;
  /** Runs `jobs` in their order, as a `compile` of each would, and tells `on` of each
   *  start and outcome as it happens. Resolves once every job has its outcome. */
  compileBatch(jobs: CompileJob[], opts: CompileBatchOptions, on: (e: CompileBatchEvent) => void): Promise<void>;
  /** `timeoutMs` bounds each probe of the compiler (the build's `timeout`); `signal`
   *  stops the caller's wait. Fails with a CompilerNotFoundError or CompilerProbeError. */
  identity(compiler: string, cwd: string, opts?: IdentityRequest): Promise<CompilerIdentity>;
  /** Cancel every job of a build (queued and running); `queuedOnly`: the jobs that have
   *  not started (a build stopping at its first failure lets the running ones finish). */
  cancel(build_id: string, queuedOnly?: boolean): Promise<number>;
  /** How many compiles run at once. */
  concurrency(): Promise<number>;
}

/** What the client needs of the orchestrator, in-process or remote. */
export interface OrchestratorApi {
  build(req: BuildRequest, onEvent: (e: BuildEvent) => void, signal?: AbortSignal): Promise<BuildSummary>;
  /** Removes the build dir and build state of `profile` ('' or absent: the default one). */
  clean(profile?: string): Promise<{ removed: string }>;
}
