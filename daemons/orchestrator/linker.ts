// Links (or archives) one target into a temp file beside its output and renames
// it into place only on success: a failed or killed link leaves the previous
// output, never a truncated one.

import { tempPathFor } from '../../fs/atomic-write.js';
import { mkdirSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import { findOnPath } from '../../config/compiler.js';
import { formatCommand } from '../../toolchain/compile-runner.js';
import { runInProcessGroup } from '../../toolchain/process-group.js';
import { linkCommandFor } from '../../toolchain/compile-args.js';
import { archiverIdentity, type LinkCache, type LinkJob, type RestoredOutput } from '../../cache/link-cache.js';

export class LinkCancelledError extends Error {
  constructor(readonly target: string) {
    super(`link of ${target} cancelled`);
    this.name = 'AbortError';
  }
}

export interface LinkResult {
  ok: boolean;
  exit_code: number;
  /** Linker (or ar) output, verbatim. */
  stderr: string;
  ms: number;
  /** The command as a user would type it, with the final output name: made when asked
   *  (`-v`), as it is 20,000 quoted arguments in a big link. */
  command(): string;
  /** Restored from the link cache: no linker ran. */
  cached: boolean;
  /** What the cache says the restored output holds (link-cache.ts). */
  restored?: RestoredOutput;
}

/** The link cache and who links, for linkTarget: the compiler's id for the driver. */
export interface LinkCaching {
  cache: LinkCache;
  compilerId: string;
  /** See LinkJob: the caller's hashes of the inputs (and what it knows of them without a
   *  stat), and whether one is fresh from a compile. */
  hashOf?: LinkJob['hashOf'];
  known?: LinkJob['known'];
  freshInputs?: boolean;
  writtenNow?: LinkJob['writtenNow'];
}

export async function linkTarget(
  config: ProjectConfig,
  target: ResolvedTarget,
  /** Absolute path of the C++ driver, as resolved for the compiler identity. */
  cxxPath: string,
  opts: { signal?: AbortSignal; caching?: LinkCaching } = {},
): Promise<LinkResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const outAbs = resolve(config.root, target.output);
  const tmp = tempPathFor(target.output);
  const tmpAbs = resolve(config.root, tmp);
  const cmd = linkCommandFor(config, target, tmp);
  const shown = cmd.tool === 'cxx' ? config.compiler.cxx : 'ar';
  const command = () => formatCommand([shown, ...linkCommandFor(config, target, target.output).args]);

  const program = cmd.tool === 'cxx' ? cxxPath : findOnPath('ar', { cwd: config.root });
  if (!program) {
    return { ok: false, exit_code: 127, stderr: `replibuild: cannot archive ${target.output}: "ar" is not on PATH (install binutils)\n`, ms: ms(), command, cached: false };
  }
  // Synchronous, as in the compile runner: cheap local calls right before the spawn.
  mkdirSync(dirname(outAbs), { recursive: true });
  // ar adds to an existing archive; start from nothing.
  rmSync(tmpAbs, { force: true });
  const runLinker = async () => {
    const run = await runInProcessGroup(program, cmd.args, { cwd: config.root, ...(opts.signal ? { signal: opts.signal } : {}) });
    if (run.aborted || opts.signal?.aborted) {
      await rm(tmpAbs, { force: true });
      throw new LinkCancelledError(target.name);
    }
    let stderr = run.stderr + run.stdout;
    if (run.spawn_error) stderr += `replibuild: cannot run ${program}: ${run.spawn_error.message}\n`;
    else if (run.signal) stderr += `replibuild: the link of ${target.output} was killed by ${run.signal}\n`;
    return { exit_code: run.spawn_error ? 127 : run.exit_code, stderr };
  };
  let outcome: { exit_code: number; stderr: string; cached: boolean; restored?: RestoredOutput };
  if (opts.caching) {
    // The cache restores a stored output into the temp name, or runs the linker there.
    const tool = cmd.tool === 'cxx' ? { id: opts.caching.compilerId, path: program } : await archiverIdentity(program, config.root);
    const o = await opts.caching.cache.link(
      {
        cwd: config.root,
        kind: target.kind,
        args: cmd.args,
        output: tmp,
        inputs: [...cmd.objects, ...cmd.dep_outputs],
        ...(opts.caching.hashOf ? { hashOf: opts.caching.hashOf } : {}),
        ...(opts.caching.known ? { known: opts.caching.known } : {}),
        ...(opts.caching.freshInputs ? { freshInputs: true } : {}),
        ...(opts.caching.writtenNow ? { writtenNow: opts.caching.writtenNow } : {}),
      },
      tool,
      runLinker,
    );
    outcome = { exit_code: o.exit_code, stderr: o.stderr, cached: o.cached, ...(o.restored ? { restored: o.restored } : {}) };
  } else {
    outcome = { ...(await runLinker()), cached: false };
  }
  const { stderr, cached } = outcome;
  if (outcome.exit_code !== 0) {
    await rm(tmpAbs, { force: true });
    return { ok: false, exit_code: outcome.exit_code, stderr, ms: ms(), command, cached };
  }
  try {
    renameSync(tmpAbs, outAbs);
  } catch (e) {
    await rm(tmpAbs, { force: true });
    return { ok: false, exit_code: 1, stderr: `${stderr}replibuild: cannot write ${target.output}: ${(e as Error).message}\n`, ms: ms(), command, cached };
  }
  return { ok: true, exit_code: 0, stderr, ms: ms(), command, cached, ...(outcome.restored ? { restored: outcome.restored } : {}) };
}
