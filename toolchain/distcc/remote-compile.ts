// One compile on one distcc host: `distcc <compiler> args` with DISTCC_HOSTS naming
// that host alone, and distcc told never to fall back or retry locally on its own
// (the distributor does that, and counts it). distcc's own messages go to a log file
// per job, not into the compiler's diagnostics; the log says where the job really ran
// (distcc keeps some jobs local whatever the hosts: -march=native, say).
//
// Each job gets a DISTCC_DIR of its own, removed after it: distcc's backoff state
// must not outlive the job (the host pool decides when a host is set aside), and
// turning the backoff off instead is worse: distcc 3.4 with DISTCC_BACKOFF_PERIOD=0
// retries a refused connection in a loop, leaking a socket each time, until it
// aborts more than a minute later. With its default backoff, a refused connection
// is one attempt and exit 116.
//
// Exit codes (distcc(1), EXIT CODES): the compiler's own below 100; 100-127 are
// distcc's (connect failed, protocol error, host lacks the compiler ...); 128+N a
// signal (of the compiler, here or there, or of distcc). Only the first is the
// source's fault.

import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathFor } from '../../fs/atomic-write.js';
import type { DistccHost } from '../../config/distcc-hosts.js';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { runCompile, type RunCompileOptions, type RunnerIdentity } from '../compile-runner.js';

export type RemoteOutcome =
  /** The compiler ran on the host; its result (success or its own diagnostics). */
  | { kind: 'remote'; result: CompileResult }
  /** distcc kept the job on this machine; a final result like any local compile. */
  | { kind: 'local'; result: CompileResult }
  /** distcc or the host failed; nothing is written, the job must run elsewhere. */
  | { kind: 'host-failed'; why: string };

export interface RemoteCompileSetup {
  /** The distcc client, "distcc" on PATH by default. */
  program: string;
  /** Where each job's DISTCC_DIR (distcc's locks, state and our log of it) is made: private to us. */
  dir: string;
  env?: NodeJS.ProcessEnv;
}

const FIRST_DISTCC_EXIT = 100;

/** The env that makes distcc use `host` only and report instead of recovering. */
function distccEnv(setup: RemoteCompileSetup, host: DistccHost, dir: string): NodeJS.ProcessEnv {
  return {
    ...(setup.env ?? process.env),
    DISTCC_HOSTS: host.spec,
    DISTCC_FALLBACK: '0',
    DISTCC_SKIP_LOCAL_RETRY: '1',
    DISTCC_BACKOFF_PERIOD: '60',
    DISTCC_DIR: dir,
    DISTCC_LOG: join(dir, 'distcc.log'),
  };
}

/** distcc's "exec on HOST:" line names where it ran the compiler (HOST as in DISTCC_HOSTS). */
function ranOn(log: string): string | null {
  const all = [...log.matchAll(/ exec on (\S+?):? /g)];
  return all.length ? all[all.length - 1]![1]! : null;
}

/** distcc's last ERROR line, for status: "failed to connect to 10.0.0.2 port 3632: Connection refused". */
function lastError(log: string, exit: number): string {
  const lines = log.split('\n').filter((l) => l.includes('ERROR:') && !/failed to distribute|fallbacks are disabled/.test(l));
  const line = lines.at(-1);
  const text = line ? line.replace(/^.*?ERROR:\s*/, '') : '';
  return text ? `${text} (distcc exit ${exit})` : `distcc exit ${exit}`;
}

export async function compileOnHost(
  setup: RemoteCompileSetup,
  host: DistccHost,
  job: CompileJob,
  identity: RunnerIdentity,
  opts: RunCompileOptions = {},
): Promise<RemoteOutcome> {
  mkdirSync(setup.dir, { recursive: true, mode: 0o700 });
  const dir = tempPathFor(join(setup.dir, 'job'));
  mkdirSync(dir, { mode: 0o700 });
  try {
    const result = await runCompile(job, identity, { ...opts, via: { program: setup.program, env: distccEnv(setup, host, dir) } });
    let log = '';
    try {
      log = readFileSync(join(dir, 'distcc.log'), 'utf8');
    } catch {
      /* distcc wrote nothing (it could not start) */
    }
    const where = ranOn(log);
    const code = result.exit_code;
    if (result.stderr.startsWith(`replibuild: cannot run ${setup.program}`)) return { kind: 'host-failed', why: result.stderr.trim() };
    if (code >= FIRST_DISTCC_EXIT) return { kind: 'host-failed', why: lastError(log, code) };
    if (where !== null && where.startsWith('localhost')) return { kind: 'local', result };
    return { kind: 'remote', result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
