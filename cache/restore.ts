// Putting a stored compile result in place of a compile: object, depfile and the
// compiler's stderr, byte for byte as the runner would have left them.

import { lstatSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tempSuffix } from '../fs/atomic-write.js';
import { resolveQuick } from '../fs/resolver.js';
import type { CompileJob, CompileResult } from '../protocol/build.js';
import { asksForDepfile, type RunnerIdentity } from '../toolchain/compile-runner.js';
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
 *  is given) by temp file + rename; the answer is a "cached" result. A half-written temp
 *  file is never renamed, so an interrupted restore leaves no output a later build trusts.
 *  The depfile is written (first, as the runner does) only when the TU's flags ask for
 *  one: nothing of replibuild reads it back (the result carries the headers), and in a
 *  warm clean rebuild a second file per TU is most of the cost, which is file creation.
 *  Otherwise a depfile left from an earlier compile is removed, so none in the build
 *  directory ever names headers other than the object's. */
export function restoreResult(job: CompileJob, identity: RunnerIdentity, r: ResultMeta, t0: number, writeObject: (to: string) => void): CompileResult {
  const objAbs = resolveQuick(job.cwd, job.object);
  const depAbs = resolveQuick(job.cwd, job.depfile);
  const depText = owedDepfile(job) ? retargetDepfile(r.depfile, r.depfileTarget, job.object, (t) => parseDepfile(t)) : null;
  // One suffix for both, as the runner does, so a sweep of a killed writer's leftovers finds the pair.
  const suffix = tempSuffix();
  try {
    if (depText !== null) creatingDir(depAbs + suffix, (to) => writeFileSync(to, depText));
    creatingDir(objAbs + suffix, writeObject);
    if (depText !== null) renameSync(depAbs + suffix, depAbs);
    else removeIfPresent(depAbs);
    renameSync(objAbs + suffix, objAbs);
  } catch (e) {
    rmSync(depAbs + suffix, { force: true });
    rmSync(objAbs + suffix, { force: true });
    throw e;
  }
  // Retargeting changes only the rule's target, not the prerequisites.
  const headers = r.headers ?? depfileHeaders(job, r.depfile);
  return {
    outcome: 'cached',
    exit_code: 0,
    stderr: r.stderr,
    duration_ms: Math.round(performance.now() - t0),
    headers,
    compiler_id: identity.id,
  };
}

/** rmSync(path, { force: true }) without its cost when nothing is there (rm -rf build, every
 *  hit): Node 20's rmSync lstats twice and builds an ENOENT error it then swallows. */
function removeIfPresent(path: string): void {
  if (lstatSync(path, { throwIfNoEntry: false })) rmSync(path, { force: true });
}

/** Whether a restore writes the depfile: the TU's flags ask for one, or the object is a
 *  precompiled header, whose directory its users' compiles search (-include) and whose
 *  listing is therefore part of their cache keys: without the depfile it would differ
 *  from the one a compile leaves, and every user would miss. */
function owedDepfile(job: CompileJob): boolean {
  return asksForDepfile(job) || job.object.endsWith('.gch');
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
