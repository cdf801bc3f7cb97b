// The one module shared by the CLI and all four daemons: daemon names, ports,
// JSON-RPC envelopes, error codes and every method's params and result.
// Nothing here does I/O, so the client can import it without cost.

export const VERSION = '0.1.0';

/** Start order: each daemon only asks daemons earlier in this list. */
export const DAEMON_NAMES = ['setup', 'discovery', 'compilation', 'orchestrator'] as const;
export type DaemonName = (typeof DAEMON_NAMES)[number];

export const DEFAULT_PORTS: Record<DaemonName, number> = {
  discovery: 9001,
  setup: 9002,
  compilation: 9003,
  orchestrator: 9004,
};

/** A single JSON-RPC line longer than this is refused; the connection survives. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export function isDaemonName(s: string): s is DaemonName {
  return (DAEMON_NAMES as readonly string[]).includes(s);
}

// ---------------------------------------------------------------- JSON-RPC 2.0

export type JsonRpcId = number | string;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: unknown;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: unknown;
}

export interface JsonRpcFailure {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** Not authenticated, or a wrong token: the connection is closed after this. */
  Unauthorized: -32001,
  MessageTooLarge: -32002,
  /** The project configuration is invalid; data carries the ConfigIssue list. */
  ConfigInvalid: -32010,
  /** The build queue is full (queue_size). */
  QueueFull: -32011,
  /** The build ran past `timeout` or was cancelled. */
  Cancelled: -32012,
  /** The daemon is stopping and takes no new work. */
  ShuttingDown: -32013,
  /** A daemon this one depends on could not be reached. */
  DependencyUnavailable: -32014,
  /** The compiler is missing or does not answer; data: { kind, command, detail, timed_out }. */
  CompilerUnusable: -32015,
  /** A path in the request resolves (symlinks followed) outside the project, its
   *  configured include dirs, the build dir and the compile cache. */
  PathOutsideProject: -32020,
  /** The request names a program other than the compiler the project's config resolves. */
  ProgramNotAllowed: -32021,
  /** A compile job that is not one the project's config gives (other arguments or outputs). */
  JobNotInConfig: -32022,
} as const;

/** Sent by a daemon for streamed progress of a long request; requestId ties it to the call. */
export const NOTIFY_PROGRESS = 'progress';
export interface ProgressNotification<T = unknown> {
  requestId: JsonRpcId;
  event: T;
}

// ------------------------------------------------------- methods every daemon has

export interface AuthParams {
  token: string;
}
export interface AuthResult {
  daemon: DaemonName;
  version: string;
}

export interface PingResult {
  name: DaemonName;
  version: string;
  pid: number;
  uptime_s: number;
  project: string;
}

/** What a daemon says about itself; `details` is the daemon's own figures. */
export interface DaemonSelfStatus extends PingResult {
  requests_served: number;
  connections: number;
  details: Record<string, unknown>;
}

export interface ShutdownResult {
  stopping: true;
}

export interface CommonMethods {
  ping: { params: Record<string, never> | undefined; result: PingResult };
  status: { params: Record<string, never> | undefined; result: DaemonSelfStatus };
  shutdown: { params: Record<string, never> | undefined; result: ShutdownResult };
}

/** A method table: method name → params and result types. */
export type MethodTable = Record<string, { params: unknown; result: unknown }>;

// ------------------------------------------------------------ files on disk

/** Contents of .replibuild/pids/<name>.json, written once the daemon listens. */
export interface DaemonRecord {
  name: DaemonName;
  pid: number;
  port: number;
  version: string;
  /** ISO time the daemon came up. */
  started: string;
  /** Kernel start time of the pid (clock ticks since boot, /proc/<pid>/stat field 22):
   *  together with pid it identifies the process, so a reused pid is not mistaken for ours. */
  proc_start: number | null;
}

/** Contents of .replibuild/pids/<name>.children.json: processes the daemon spawned and still owns. */
export interface ChildRecord {
  pid: number;
  proc_start: number | null;
  command: string;
}

// ------------------------------------------------------------ status report

export type DaemonState = 'running' | 'stopped' | 'stale' | 'disabled' | 'unresponsive';

/** One row of `replibuild status --json`. */
export interface DaemonStatusRow {
  name: DaemonName;
  state: DaemonState;
  pid: number | null;
  port: number | null;
  uptime_s: number | null;
  rss_bytes: number | null;
  cpu_percent: number | null;
  version: string | null;
  requests_served: number | null;
  details: Record<string, unknown>;
  message?: string;
}

export interface StatusReport {
  project: string;
  daemons: DaemonStatusRow[];
  machine: {
    cpus: number;
    cpu_percent: number;
    load_avg: number[];
    mem_total_bytes: number;
    mem_available_bytes: number;
  };
  all_running: boolean;
}

// ------------------------------------------------------------ configuration

/** One problem in a TOML file, pinned to where the user can fix it. */
export interface ConfigIssue {
  file: string;
  line: number | null;
  column: number | null;
  /** Dotted key path, e.g. "daemons.compilation.max_cache_size". */
  key?: string;
  message: string;
}

/** .replibuild/daemon_config.toml after defaults and validation. */
export interface DaemonConfig {
  enabled: Record<DaemonName, boolean>;
  /** Port per daemon; 0 = any free port (the chosen one is recorded in <name>.json). */
  ports: Record<DaemonName, number>;
  discovery: {
    watch_interval: number;
    ignored_patterns: string[];
    /** Poll at watch_interval instead of native events. */
    use_polling: boolean;
  };
  compilation: {
    max_cache_size: number;
    cache_ttl: number;
    parallel_jobs: number;
  };
  orchestrator: {
    queue_size: number;
    timeout: number;
  };
}

export type TargetKind = 'executable' | 'static' | 'shared';

/** A target of replibuild.toml with project-wide settings and its deps' public dirs folded in.
 *  Paths are relative to the project root unless noted; sources are the expanded globs. */
export interface ResolvedTarget {
  name: string;
  kind: TargetKind;
  sources: string[];
  /** Private, then own public, then deps' public (transitively), then [compiler] include_dirs. */
  include_dirs: string[];
  defines: string[];
  /** Compile flags: [compiler] flags then the target's own. */
  flags: string[];
  /** Direct deps, as named in the toml. */
  deps: string[];
  /** Every target this one links, transitively, in link order (dependents before dependencies). */
  link_deps: string[];
  libs: string[];
  link_flags: string[];
  /** Output path relative to the project root: build/bin/NAME, build/lib/libNAME.a or .so. */
  output: string;
  /** Object dir relative to the project root: build/obj/NAME. */
  obj_dir: string;
}

/** replibuild.toml after validation and resolution. */
export interface ProjectConfig {
  root: string;
  name: string;
  build_dir: string;
  compiler: {
    /** The compiler command as configured or detected, e.g. "g++" or "/usr/bin/clang++". */
    cxx: string;
    std: string;
  };
  /** Targets in dependency order: every target comes after the ones it depends on. */
  targets: ResolvedTarget[];
  /** Every file the config was read from, for watchers. */
  files: string[];
}
