// Every daemon's methods, once: name → params check → result (and, for `build`, the
// progress events it streams). Each daemon's server is built from its table with
// rpc/methods.ts `serve`, and callers reach it through `proxy(table, channel)`; a
// handler or a call that disagrees with a table fails to type-check.
import { arrayOf, bool, maybe, noParams, nonNegInt, obj, optional, returns, spec, str, streams } from '../rpc/methods.js';
import type { BuildEvent, BuildSummary, CompileResult, CompilerIdentity } from './build.js';
import type { WireCompileBatchEvent } from './header-lists.js';
import type { ChangesResult } from './discovery.js';
import type { DaemonName } from '../config/daemon-names.js';
import type { PingResult, ShutdownResult } from './messages.js';
import type { ConfigAnswer } from './setup.js';
import type { DaemonSelfStatus } from './status.js';

/** Answered by every daemon (daemons/host/daemon-process.ts). */
export const commonTable = {
  ping: spec(noParams, returns<PingResult>()),
  status: spec(noParams, returns<DaemonSelfStatus>()),
  /** Answers, then stops the daemon; ShuttingDown when it is already stopping. */
  shutdown: spec(noParams, returns<ShutdownResult>()),
};

export const setupTable = {
  /** `rescan`: expand the source globs again even if no TOML changed. `known`: the tag
   *  of the snapshot the caller holds (answered `unchanged` while it is current). */
  get_config: spec(obj({ rescan: optional(bool, false), known: maybe(str) }), returns<ConfigAnswer>()),
};

export const discoveryTable = {
  /** `journal_id` '' = none; `config_generation` -1 = not given. */
  changes_since: spec(
    obj({ epoch: nonNegInt, journal_id: optional(str, ''), config_generation: optional(nonNegInt, -1) }),
    returns<ChangesResult>(),
  ),
  /** Long poll: answers once the epoch moves past `epoch`, or at timeout_ms (capped at 300 s). */
  wait_for_change: spec(obj({ epoch: nonNegInt, timeout_ms: optional(nonNegInt, 30_000) }), returns<{ epoch: number }>()),
  hash_many: spec(obj({ paths: arrayOf(str) }), returns<{ hashes: (string | null)[] }>()),
  record_deps: spec(obj({ entries: arrayOf(obj({ source: str, headers: arrayOf(str) })) }), returns<{ recorded: number }>()),
};

/** A CompileJob (build.ts) as the compilation daemon checks it. */
export const compileJobParams = obj({
  cwd: str,
  compiler: str,
  args: arrayOf(str),
  source: str,
  object: str,
  depfile: str,
  build_id: maybe(str),
  pch: maybe(str),
});

export const compilationTable = {
  compile: spec(obj({ job: compileJobParams }), returns<CompileResult>()),
  /** A build's compiles in one request (CompilationApi.compileBatch): each job is checked
   *  and run as `compile` would; its start and outcome are streamed as they happen, and
   *  the answer (the number of jobs) comes once every job has one. A refused job is
   *  answered with its error and the others run; `cancel` of their build_id cancels them.
   *  `stop_after_failure`: see CompileBatchOptions. */
  compile_batch: spec(
    obj({ jobs: arrayOf(compileJobParams), parallel: optional(nonNegInt, 0), stop_after_failure: optional(bool, false) }),
    returns<{ jobs: number }>(),
    // Each result's header list as header-lists.ts sends it (paths spelled once per batch).
    streams<WireCompileBatchEvent>(),
  ),
  /** `timeout_ms` bounds each probe of the compiler. CompilerUnusable when it cannot be used. */
  identity: spec(obj({ compiler: str, cwd: str, timeout_ms: maybe(nonNegInt) }), returns<CompilerIdentity>()),
  /** `queued_only`: only the jobs that have not started. */
  cancel: spec(obj({ build_id: str, queued_only: optional(bool, false) }), returns<{ cancelled: number }>()),
  concurrency: spec(noParams, returns<{ jobs: number }>()),
  /** Write the cache counters out now (for `replibuild cache stats`). */
  flush_cache_stats: spec(noParams, returns<{ flushed: true }>()),
};

/** A BuildRequest (build.ts) as the orchestrator checks it. */
export const buildRequestParams = obj({
  targets: optional(arrayOf(str), []),
  jobs: optional(nonNegInt, 0),
  keep_going: optional(bool, false),
  verbose: optional(bool, false),
  progress: optional(bool, true),
  profile: optional(str, ''),
});

export const orchestratorTable = {
  /** Streams the build's events as progress notifications, then answers the summary. */
  build: spec(buildRequestParams, returns<BuildSummary>(), streams<BuildEvent>()),
  /** `profile` '' = the default profile. */
  clean: spec(obj({ profile: optional(str, '') }), returns<{ removed: string }>()),
  /** Write out the link cache's counters now (for `replibuild cache stats`). */
  flush_cache_stats: spec(noParams, returns<{ flushed: true }>()),
};

/** Each daemon's own methods; every daemon also answers commonTable. */
export const DAEMON_TABLES = {
  setup: setupTable,
  discovery: discoveryTable,
  compilation: compilationTable,
  orchestrator: orchestratorTable,
} satisfies Record<DaemonName, object>;
