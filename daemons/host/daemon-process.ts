// The process side of a daemon: everything a service does not care about.
// Argument parsing, pid files, the ready handshake with the launcher, the
// watchdog, signals and an orderly shutdown. The service is plain logic.
import { closeSync, existsSync, readFileSync, writeSync } from 'node:fs';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { VERSION, type AuthResult, type PingResult } from '../../protocol/messages.js';
import { isDaemonName, type DaemonName } from '../../config/daemon-names.js';
import { commonTable } from '../../protocol/methods.js';
import { serve } from '../../rpc/methods.js';
import { ChildTracker } from './child-tracker.js';
import { fileLogger, type Logger } from '../common/logger.js';
import { projectPaths, type ProjectPaths } from './paths.js';
import { DAEMON_ARG, READY_FD_ARG, ensureDirs, readToken, removeRecord, writeRecord } from './pidfiles.js';
import { procRssBytes, procStartTime } from '../../fs/proc.js';
import { spawnHelperPid } from '../../toolchain/process-group.js';
import { RpcServer, type MethodMap } from '../../rpc/server.js';
import { IdleCollector } from './idle-gc.js';
import type { DaemonMemory } from '../../protocol/status.js';
import { isoTime } from '../common/iso-time.js';

export interface DaemonEnv {
  name: DaemonName;
  root: string;
  paths: ProjectPaths;
  log: Logger;
  children: ChildTracker;
  token: string;
  /** Ask the daemon to stop (as `shutdown` does). */
  requestShutdown(reason: string): void;
  /** Work done outside a request (a background job) happened: collect garbage once
   *  the daemon is idle again, as after a request. */
  activity(): void;
}

export interface CloseOptions {
  saveState: boolean;
}

export interface HostedService {
  methods: MethodMap;
  /** The daemon's own figures for `status`. */
  status(): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** `saveState` false: the daemon no longer owns its project (its pid file or the project
   *  itself went): stop without writing into it. */
  close?(opts: CloseOptions): Promise<void>;
  /** Once the daemon has gone quiet after work (idle-gc.ts), before it collects. */
  quiet?(): void;
  /** Its long polls: a client parked on one (`replibuild watch`) keeps no collection off. */
  parkedMethods?: ReadonlySet<string>;
}

/** The ready handshake's one message, a JSON line on the pipe the launcher passes
 *  (READY_FD_ARG). A pipe, not Node's IPC channel: a child given the channel sets it up
 *  at start, and it cost 0.4 MB of RSS for the process's whole life (an idle node with
 *  net and child_process loaded, 'ipc' against 'pipe' on fd 3, node 20.20), for one
 *  message. */
export type LauncherMessage = { type: 'ready'; pid: number; port: number } | { type: 'failed'; message: string };

const WATCHDOG_MS = 1000;

/** The launcher's ready pipe, until the daemon has said it is ready (or why not). */
let readyFd: number | null = null;

function parseArgs(argv: string[]): { name: DaemonName; root: string; port: number; readyFd: number | null } {
  const get = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const name = get(DAEMON_ARG);
  const root = get('--project');
  const port = Number(get('--port') ?? '0');
  if (!name || !isDaemonName(name) || !root || !Number.isInteger(port)) {
    throw new Error(`usage: ${DAEMON_ARG} <setup|discovery|compilation|orchestrator> --project DIR [--port N] [${READY_FD_ARG} FD]`);
  }
  const fd = get(READY_FD_ARG);
  return { name, root, port, readyFd: fd !== undefined && /^\d+$/.test(fd) ? Number(fd) : null };
}

function tellLauncher(msg: LauncherMessage): void {
  if (readyFd === null) return;
  const fd = readyFd;
  readyFd = null; // one message: ready or failed
  try {
    writeSync(fd, `${JSON.stringify(msg)}\n`);
  } catch {
    /* the launcher gave up waiting */
  }
  // Once ready the launcher goes away; the pipe must not tie us to it.
  try {
    closeSync(fd);
  } catch {
    /* closed */
  }
}

function describeListenError(e: NodeJS.ErrnoException, port: number, name: DaemonName): string {
  if (e.code === 'EADDRINUSE') {
    return (
      `port ${port} is already in use (another project's ${name} daemon, or another program). ` +
      `Set "port = 0" under [daemons.${name}] in .replibuild/daemon_config.toml to take any free port, ` +
      'or run `replibuild start --auto-ports`'
    );
  }
  return `cannot listen on 127.0.0.1:${port}: ${e.message}`;
}

export interface CommonMethodsOptions {
  name: DaemonName;
  root: string;
  /** When the daemon came up (Date.now()). */
  started: number;
  counters(): { requestsServed: number; openConnections: number };
  /** The service's own figures. */
  details(): Record<string, unknown> | Promise<Record<string, unknown>>;
  stopping(): boolean;
  shutdown(): void;
}

/** The daemon's memory; its RSS includes the spawn helper's while one runs (its cost). */
function memory(): DaemonMemory {
  const m = process.memoryUsage();
  const helper = spawnHelperPid();
  const helperRss = helper === undefined ? 0 : (procRssBytes(helper) ?? 0);
  return { heap_used_bytes: m.heapUsed, heap_total_bytes: m.heapTotal, rss_bytes: m.rss + helperRss, ...(helper === undefined ? {} : { spawn_helper_pid: helper }) };
}

/** ping, status and shutdown: what every daemon answers besides its own methods. */
export function commonMethods(o: CommonMethodsOptions): MethodMap {
  const ping = (): PingResult => ({
    name: o.name,
    version: VERSION,
    pid: process.pid,
    uptime_s: Math.round((Date.now() - o.started) / 100) / 10,
    project: o.root,
  });
  return serve(commonTable, {
    ping,
    status: async () => ({
      ...ping(),
      requests_served: o.counters().requestsServed,
      connections: o.counters().openConnections,
      memory: memory(),
      details: await o.details(),
    }),
    shutdown: () => {
      if (o.stopping()) throw new RpcError(ErrorCode.ShuttingDown, `${o.name} is already stopping`);
      // Answer first, then stop: the caller waits for the process to exit.
      setTimeout(o.shutdown, 10);
      return { stopping: true as const };
    },
  });
}

/** Runs the daemon (a daemon's main calls it once). Not a promise to await: the bundles
 *  are CommonJS (scripts/bundle-daemons.mjs), which has no top-level await; what would
 *  have escaped it ends the process as it would have. */
export function runDaemon(createService: (env: DaemonEnv) => Promise<HostedService>): void {
  startDaemon(createService).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}

async function startDaemon(createService: (env: DaemonEnv) => Promise<HostedService>): Promise<void> {
  const { name, root, port: wantedPort, readyFd: fd } = parseArgs(process.argv);
  readyFd = fd;
  const paths = projectPaths(root);
  ensureDirs(paths);
  // Cleared when the daemon loses its project (the watchdog below): from then on it writes
  // nothing into it. Its pid file gone may be `rm -rf` on its way through the tree, and a
  // log line or a state save landing there makes the removal fail (ENOTEMPTY) or leaves
  // files behind; with the pid file gone another daemon set may own the state by now.
  let ownsProject = true;
  const log = fileLogger(paths.logFile(name), name, () => ownsProject);
  const started = Date.now();
  let stopping = false;
  let server: RpcServer | null = null;
  const idleGc = new IdleCollector();
  let service: HostedService | null = null;
  const children = new ChildTracker(paths, name);
  idleGc.busy = () => (server?.requestsInFlight ?? 0) > 0;
  idleGc.onQuiet = () => {
    try {
      service?.quiet?.();
    } catch (e) {
      log.error(`idle trim failed: ${(e as Error).message}`);
    }
  };

  const shutdown = async (reason: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log.info(`stopping: ${reason}`);
    const force = setTimeout(() => process.exit(code), 5000);
    force.unref();
    try {
      await service?.close?.({ saveState: ownsProject });
    } catch (e) {
      log.error(`service close failed: ${(e as Error).message}`);
    }
    children.killAll();
    await server?.close();
    removeRecord(paths, name, process.pid);
    log.info('stopped');
    process.exit(code);
  };

  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  process.on('uncaughtException', (e) => {
    log.error(`uncaught exception: ${e.stack ?? e.message}`);
    void shutdown('uncaught exception', 1);
  });
  process.on('unhandledRejection', (e) => {
    log.error(`unhandled rejection: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  });

  const token = readToken(paths);
  if (!token) {
    const message = `no token in ${paths.token}: daemons are started by \`replibuild start\``;
    log.error(message);
    tellLauncher({ type: 'failed', message });
    process.exit(1);
  }

  const env: DaemonEnv = {
    name,
    root,
    paths,
    log,
    children,
    token,
    requestShutdown: (reason) => void shutdown(reason),
    activity: () => idleGc.activity(),
  };

  try {
    service = await createService(env);
  } catch (e) {
    const message = `could not start: ${(e as Error).message}`;
    log.error(message);
    tellLauncher({ type: 'failed', message });
    process.exit(1);
  }

  server = new RpcServer({
    token,
    identity: { daemon: name, version: VERSION, pid: process.pid } satisfies AuthResult,
    onError: (m) => log.error(m),
    onSettled: () => idleGc.activity(),
    parkedMethods: service.parkedMethods,
    methods: {
      ...service.methods,
      ...commonMethods({
        name,
        root,
        started,
        counters: () => server!,
        details: () => service!.status(),
        stopping: () => stopping,
        shutdown: () => void shutdown('shutdown requested'),
      }),
    },
  });

  let port: number;
  try {
    port = await server.listen(wantedPort);
  } catch (e) {
    const message = describeListenError(e as NodeJS.ErrnoException, wantedPort, name);
    log.error(message);
    tellLauncher({ type: 'failed', message });
    await service.close?.({ saveState: true }).catch(() => {});
    process.exit(1);
  }

  writeRecord(paths, {
    name,
    pid: process.pid,
    port,
    version: VERSION,
    started: isoTime(started),
    proc_start: procStartTime(process.pid),
  });
  log.info(`listening on 127.0.0.1:${port} (replibuild ${VERSION}, project ${root})`);
  tellLauncher({ type: 'ready', pid: process.pid, port });

  // A daemon whose project or pid file is gone has nobody left to serve.
  const watchdog = setInterval(() => {
    const lost = (reason: string) => {
      ownsProject = false;
      void shutdown(reason);
    };
    if (!existsSync(root)) return lost('project directory removed');
    let pidInFile = NaN;
    try {
      pidInFile = Number(readFileSync(paths.pidFile(name), 'utf8').trim());
    } catch {
      return lost('pid file removed');
    }
    if (pidInFile !== process.pid) lost(`pid file now names ${pidInFile}`);
  }, WATCHDOG_MS);
  watchdog.unref();
}
