// Putting a stored compile result in place of a compile: object, depfile and the
// compiler's stderr, byte for byte as the runner would have left them.

import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tempSuffix } from '../fs/atomic-write.js';
import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { RunnerIdentity } from '../toolchain/compile-runner.js';
import { parseDepfile } from '../toolchain/depfile.js';
import { retargetDepfile, type ResultMeta } from './result.js';

/** The stored object's bytes could not be copied: its content file is gone. */
export class ObjectGoneError extends Error {
  constructor(readonly path: string) {
    super(`the stored object for ${path} is gone`);
    this.name = 'ObjectGoneError';
  }
}

/** Writes the stored object (through `writeObject`, which creates or truncates the path it
 *  is given) and depfile, each by temp file + rename, the depfile first and the object
 *  last, as the runner does; the answer is a "cached" result. A half-written temp file
 *  is never renamed, so an interrupted restore leaves no output a later build trusts. */
export function restoreResult(job: CompileJob, identity: RunnerIdentity, r: ResultMeta, t0: number, writeObject: (to: string) => void): CompileResult {
  const objAbs = resolve(job.cwd, job.object);
  const depAbs = resolve(job.cwd, job.depfile);
  const depText = retargetDepfile(r.depfile, r.depfileTarget, job.object, (t) => parseDepfile(t));
  // One suffix for both, as the runner does, so a sweep of a killed writer's leftovers finds the pair.
  const suffix = tempSuffix();
  try {
    creatingDir(depAbs + suffix, (to) => writeFileSync(to, depText));
    creatingDir(objAbs + suffix, writeObject);
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

/** Writes `path` through `write`, creating its directory only when it is missing (rm -rf
 *  build): no stat or mkdir while it exists. ENOENT after that is a source gone. */
export function creatingDir(path: string, write: (to: string) => void): void {
  try {
    write(path);
    return;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dirname(path), { recursive: true });
  try {
    write(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ObjectGoneError(path);
    throw e;
  }
}
