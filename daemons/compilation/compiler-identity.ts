// Which compiler exactly are we running? The answer keys the compile cache and
// the build state, so a compiler upgraded or replaced in place must give a new id.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { statSync, type Stats } from 'node:fs';

import { findOnPath } from '../../config/compiler.js';
import type { CompilerIdentity, CompilerKind } from '../../protocol/build.js';

export type { CompilerIdentity, CompilerKind } from '../../protocol/build.js';
export { findOnPath };

export class CompilerNotFoundError extends Error {
  constructor(
    readonly command: string,
    detail: string,
  ) {
    super(
      `compiler "${command}" not found: ${detail}. ` +
        `Install it, or set [compiler] cxx in replibuild.toml to its full path.`,
    );
    this.name = 'CompilerNotFoundError';
  }
}

export class CompilerProbeError extends Error {
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`cannot identify compiler ${path}: ${detail}`);
    this.name = 'CompilerProbeError';
  }
}

function run(path: string, args: string[]): Promise<string> {
  return new Promise((res, rej) => {
    execFile(
      path,
      args,
      { timeout: 30_000, maxBuffer: 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } },
      (err, stdout, stderr) => {
        if (err) rej(new CompilerProbeError(path, `${args.join(' ')} failed: ${String(stderr).trim() || err.message}`));
        else res(String(stdout));
      },
    );
  });
}

async function probe(path: string, st: Stats): Promise<CompilerIdentity> {
  const versionText = await run(path, ['--version']);
  const kind: CompilerKind = /clang/i.test(versionText) ? 'clang' : 'gcc';
  // Older clang rejects -dumpfullversion; -dumpversion is the next best thing there.
  const version = (
    await run(path, ['-dumpfullversion']).catch(() => run(path, ['-dumpversion']))
  ).trim();
  const machine = (await run(path, ['-dumpmachine'])).trim();
  const fields = { path, size: st.size, mtime_ms: st.mtimeMs, ino: st.ino, version, machine, kind };
  const id = createHash('sha256').update(JSON.stringify(fields)).digest('hex');
  return { ...fields, id };
}

const memo = new Map<string, { stamp: string; identity: Promise<CompilerIdentity> }>();

/** The identity of `command` (a name on PATH or a path). Stats the binary on every
 *  call and re-runs it only when the stat changed, so this is cheap to call per build. */
export async function getCompilerIdentity(
  command: string,
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<CompilerIdentity> {
  const path = findOnPath(command, opts);
  if (!path) {
    throw new CompilerNotFoundError(
      command,
      command.includes('/') ? 'no executable file at that path' : 'not on PATH',
    );
  }
  const st = statSync(path);
  const stamp = `${st.size}:${st.mtimeMs}:${st.ino}:${st.ctimeMs}`;
  const hit = memo.get(path);
  if (hit && hit.stamp === stamp) return hit.identity;
  const identity = probe(path, st);
  memo.set(path, { stamp, identity });
  // A failed probe (a half-written binary, say) must not stick: the next call retries.
  identity.catch(() => {
    if (memo.get(path)?.identity === identity) memo.delete(path);
  });
  return identity;
}

/** For tests: forget every memoized identity. */
export function clearCompilerIdentityCache(): void {
  memo.clear();
}
