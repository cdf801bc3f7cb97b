// Putting a stored compile result in place of a compile: object, depfile and the
// compiler's stderr, byte for byte as the runner would have left them.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tempSuffix } from '../fs/atomic-write.js';
import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { RunnerIdentity } from '../toolchain/compile-runner.js';
import { parseDepfile } from '../toolchain/depfile.js';
import { retargetDepfile, type StoredResult } from './result.js';

/** Writes the stored object and depfile, each by temp file + rename, the depfile first
 *  and the object last, as the runner does; the answer is a "cached" result. */
export function restoreResult(job: CompileJob, identity: RunnerIdentity, r: StoredResult, t0: number): CompileResult {
  const objAbs = resolve(job.cwd, job.object);
  const depAbs = resolve(job.cwd, job.depfile);
  const depText = retargetDepfile(r.depfile, r.depfileTarget, job.object, (t) => parseDepfile(t));
  // One suffix for both, as the runner does, so a sweep of a killed writer's leftovers finds the pair.
  const suffix = tempSuffix();
  try {
    writeCreatingDir(depAbs + suffix, depText);
    writeCreatingDir(objAbs + suffix, r.object);
    renameSync(depAbs + suffix, depAbs);
    renameSync(objAbs + suffix, objAbs);
  } catch (e) {
    rmSync(depAbs + suffix, { force: true });
    rmSync(objAbs + suffix, { force: true });
    throw e;
  }
  const headers = r.headers ?? depfileHeaders(job, depText);
  return {
    outcome: 'cached',
    exit_code: 0,
    stderr: r.stderr,
    duration_ms: Math.round(performance.now() - t0),
    headers,
    compiler_id: identity.id,
  };
}

/** The headers a depfile names: its prerequisites without the source (as the runner reports them). */
export function depfileHeaders(job: CompileJob, depfile: string): string[] {
  const srcAbs = resolve(job.cwd, job.source);
  return parseDepfile(depfile).prereqs.filter((p) => p !== job.source && resolve(job.cwd, p) !== srcAbs);
}

/** writeFileSync, creating the directory only when it is missing (rm -rf build). */
function writeCreatingDir(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
}
