// The `-E` run of a TU, and what the cache takes from it: the files it entered, as
// they are now, and whether a precompiled header would stand in for one of them.

import { resolve } from 'node:path';
import type { CompileJob } from '../protocol/build.js';
import type { RunCompileOptions, RunnerIdentity } from '../toolchain/compile-runner.js';
import type { FileSnapshot } from './fs-snapshot.js';
import { absLiteral, dirOfLiteral, isProjectPath } from './literal-paths.js';
import type { CacheParts, Prepared, PreprocessOutcome } from './parts.js';
import { runPreprocessor } from './preprocess.js';

export async function preprocessTu(
  c: CacheParts,
  job: CompileJob,
  identity: RunnerIdentity,
  prep: Prepared,
  opts: RunCompileOptions,
  startedMs = Date.now(),
): Promise<PreprocessOutcome> {
  const res = await runPreprocessor(identity.path, prep.args.preprocessArgs, {
    cwd: job.cwd,
    env: c.env,
    dropCwdMarker: prep.ctx.debugDir === null,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
    ...(opts.onExit ? { onExit: opts.onExit } : {}),
  });
  if (res.exitCode !== 0 || !res.output) return { failed: true };
  const out = res.output;
  const srcResolved = resolve(prep.srcAbs);
  const entered = out.files.filter((f) => f.path !== out.mainFile && resolve(absLiteral(job.cwd, f.path)) !== srcResolved);
  const headers: { path: string; snap: FileSnapshot }[] = [];
  for (const f of entered) {
    const snap = c.files.getSync(absLiteral(job.cwd, f.path), prep.blind && isProjectPath(job.cwd, f.path));
    // Gone already: the compile will read something else than -E did. Compile uncached.
    if (!snap) return { uncacheable: 'preprocessor failed', detail: `${f.path} vanished during preprocessing` };
    if (snap.facts.timeMacro) return { uncacheable: '__DATE__/__TIME__', detail: `${f.path} uses ${snap.facts.timeMacro}` };
    headers.push({ path: f.path, snap });
  }
  // gcc -E ignores precompiled headers, the compile uses them (sccache #2562). The
  // job's own PCH (CompileJob.pch) is the exception: it is made from exactly the
  // headers -E entered, and it is recorded as one more header, its content checked.
  const ownPch = job.pch !== undefined ? absLiteral(job.cwd, job.pch) : null;
  const gch = await Promise.all(
    headers.map(async (h) => {
      const abs = absLiteral(job.cwd, h.path);
      if (`${abs}.gch` === ownPch) return null;
      const l = await c.dirs.list(dirOfLiteral(abs));
      return l?.names.has(`${abs.slice(abs.lastIndexOf('/') + 1)}.gch`) ? h.path : null;
    }),
  );
  const pch = gch.find((x) => x !== null);
  if (pch) return { uncacheable: 'precompiled header', detail: `${pch}.gch exists and would be used` };
  if (ownPch !== null) {
    const snap = c.files.getSync(ownPch, false);
    if (!snap) return { uncacheable: 'precompiled header', detail: `${job.pch} is missing` };
    headers.push({ path: job.pch!, snap });
  }
  return { out, search: res.search, startedMs, headers };
}
