// Which compiler exactly are we running? The answer keys the compile cache and
// the build state, so a compiler upgraded or replaced in place must give a new id.

import { statSync, type Stats } from 'node:fs';

import { findOnPath, locateOnPath } from '../config/compiler.js';
import type { CompilerIdentity, CompilerKind } from '../protocol/build.js';
import { CompilerNotFoundError, CompilerProbeError } from './compiler-errors.js';
import { runInProcessGroup } from './process-group.js';
import { identityIds, loadIdentity, saveIdentity, statStamp } from './identity-store.js';

export type { CompilerIdentity, CompilerKind } from '../protocol/build.js';
export { CompilerNotFoundError, CompilerProbeError } from './compiler-errors.js';
export { findOnPath };

/** How long one probe command may take when the caller names no limit. */
export const DEFAULT_PROBE_TIMEOUT_MS = 30_000;

export interface IdentityOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Each probe command (`--version`, `-dumpfullversion`, `-dumpmachine`) is killed,
   *  with everything it started, after this long. */
  timeoutMs?: number;
  /** The caller stops waiting (the probe itself ends by its time limit). */
  signal?: AbortSignal;
  /** A file (identity-store.ts) that keeps probed identities for the next process. */
  store?: string;
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

async function run(path: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  // Its own process group: a compiler that is a script must not leave its children behind.
  const r = await runInProcessGroup(path, args, { cwd, env: { ...process.env, LC_ALL: 'C' }, signal: AbortSignal.timeout(timeoutMs) });
  const command = `\`${path} ${args.join(' ')}\``;
  if (r.aborted) throw new CompilerProbeError(path, `${command} did not finish within ${formatSeconds(timeoutMs)}`, true);
  if (r.spawn_error) throw new CompilerProbeError(path, `${command} could not be started: ${r.spawn_error.message}`);
  if (r.exit_code !== 0) throw new CompilerProbeError(path, `${command} failed: ${r.stderr.trim() || `exit code ${r.exit_code}`}`);
  return r.stdout;
}

async function probe(path: string, st: Stats, cwd: string, timeoutMs: number): Promise<CompilerIdentity> {
  const versionText = await run(path, ['--version'], cwd, timeoutMs);
  const kind: CompilerKind = /clang/i.test(versionText) ? 'clang' : 'gcc';
  // Older clang rejects -dumpfullversion; -dumpversion is the next best thing there.
  // One that hangs is not asked again.
  const version = (
    await run(path, ['-dumpfullversion'], cwd, timeoutMs).catch((e: unknown) => {
      if (e instanceof CompilerProbeError && e.timedOut) throw e;
      return run(path, ['-dumpversion'], cwd, timeoutMs);
    })
  ).trim();
  const machine = (await run(path, ['-dumpmachine'], cwd, timeoutMs)).trim();
  const fields = { path, size: st.size, mtime_ms: st.mtimeMs, version, machine, kind, ino: st.ino };
  return { ...fields, ...identityIds(fields) };
}

/** Probe, and keep the answer in `store` if the binary did not change while it ran. */
async function probeAndStore(path: string, st: Stats, stamp: string, cwd: string, timeoutMs: number, store: string | undefined): Promise<CompilerIdentity> {
  const identity = await probe(path, st, cwd, timeoutMs);
  if (store && statStamp(statSync(path)) === stamp) saveIdentity(store, path, stamp, identity);
  return identity;
}

function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const memo = new Map<string, { stamp: string; identity: Promise<CompilerIdentity> }>();

/** The identity of `command` (a name on PATH or a path). Stats the binary on every
 *  call and re-runs it only when the stat changed, so this is cheap to call per build;
 *  with `store`, a new process reuses what an earlier one probed under the same stat. */
export async function getCompilerIdentity(command: string, opts: IdentityOptions = {}): Promise<CompilerIdentity> {
  const found = resolveCompiler(command, opts);
  if (!found) {
    throw new CompilerNotFoundError(
      command,
      command.includes('/') ? 'no executable file at that path' : 'not on PATH',
    );
  }
  const { path, st, stamp } = found;
  const hit = memo.get(path);
  if (hit && hit.stamp === stamp) return abortable(hit.identity, opts.signal);
  const stored = opts.store ? loadIdentity(opts.store, path, stamp) : null;
  const identity = stored
    ? Promise.resolve(stored)
    : probeAndStore(path, st, stamp, opts.cwd ?? process.cwd(), opts.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, opts.store);
  memo.set(path, { stamp, identity });
  // A failed probe (a half-written binary, say) must not stick: the next call retries.
  identity.catch(() => {
    if (memo.get(path)?.identity === identity) memo.delete(path);
  });
  return abortable(identity, opts.signal);
}

/** Where `command` runs from and that file's stat: an identity probed under the same
 *  path and stamp is still the compiler's. Null when it is not found. */
export function resolveCompiler(command: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { path: string; st: Stats; stamp: string } | null {
  // The stat that found it: one stat of the binary per call, taken as the lookup ends.
  const found = locateOnPath(command, opts);
  return found ? { path: found.path, st: found.stats, stamp: statStamp(found.stats) } : null;
}

/** For tests: forget every memoized identity. */
export function clearCompilerIdentityCache(): void {
  memo.clear();
}
