// Runs one compile. Outputs go to temp names beside the final ones and are renamed
// into place only on success, so a killed or failed compile never leaves a half
// object that looks up to date, and never destroys the last good one.
//
// A plain function on purpose: the compile cache wraps it, the queue schedules it.

import { tempPathFor } from '../fs/atomic-write.js';
import { accessSync, appendFileSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { CompileJob, CompileResult } from '../protocol/build.js';
import type { CompilerIdentity } from './compiler-identity.js';
import { parseDepfile } from './depfile.js';
import { availableParallelism } from 'node:os';
import { programsRunning, runInProcessGroup } from './process-group.js';

const CORES = availableParallelism();

export interface RunCompileOptions {
  signal?: AbortSignal;
  /** Called with the compiler's pid (also its process group id) once it is running. */
  onSpawn?(pid: number): void;
  /** Called when that process has exited. */
  onExit?(pid: number): void;
  /** Run the compiler through this wrapper (`program <compiler> args...`), in `env`:
   *  distcc, which the daemon adds itself (a request can never name it). */
  via?: { program: string; env: NodeJS.ProcessEnv };
}

/** The compile was cancelled (its build was, or the caller aborted it). Not a compile failure. */
export class CompileCancelledError extends Error {
  constructor(readonly object?: string) {
    super(object ? `compile of ${object} cancelled` : 'compile cancelled');
    // Same name as the DOM AbortError, so code that checks err.name handles both.
    this.name = 'AbortError';
  }
}

export function isCancellation(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** The part of the identity the runner needs. */
export type RunnerIdentity = Pick<CompilerIdentity, 'path' | 'id' | 'cache_id' | 'kind'>;


/** Whether the TU's own flags ask for a depfile (-MD or -MMD): the runner always makes
 *  one to learn the headers, but only such a TU's build directory is owed one. */
export function asksForDepfile(job: Pick<CompileJob, 'args'>): boolean {
  return job.args.includes('-MD') || job.args.includes('-MMD');
}

/** The arguments the runner passes, with the given output and depfile names. */
export function compileArgv(job: CompileJob, object: string, depfile: string): string[] {
  return [...job.args, '-MD', '-MF', depfile, '-MT', job.object, '-o', object];
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(argv: string[]): string {
  return argv.map(shellQuote).join(' ');
}

/** What the runner spawns: the command, plus -pipe for GCC run here while a core is spare.
 *  GCC then feeds the assembler through a pipe instead of a temp .s file, so `as` works on
 *  the spare core while cc1plus still emits: 2 ms of a one-line TU's 14, 4–5 of a 200 ms
 *  one (an edit's compile). With every core busy (a cold build) the two only take turns:
 *  a cold 200-TU build at -j2 was 2% slower with it (within the noise, both ways). It
 *  changes no byte of the object (checked with -O2, -g, -g -O2), so it is neither in the
 *  cache key nor in the command shown. Not with -save-temps (GCC warns that it ignores
 *  -pipe then), not through distcc (the remote side's own business), not for clang (its
 *  assembler is built in). */
export function spawnArgv(argv: string[], kind: RunnerIdentity['kind'], wrapped: boolean, spareCore: boolean): string[] {
  if (kind !== 'gcc' || wrapped || !spareCore || argv.some((a) => a === '-pipe' || a.startsWith('-save-temps'))) return argv;
  return ['-pipe', ...argv];
}

/** A core no other program this process started is using, besides the one about to start. */
function spareCore(): boolean {
  return programsRunning() + 2 <= CORES;
}

/** The command the runner runs, as configured and with the final output names in place
 *  of its temp ones: what `-v` shows and compile_commands.json holds. */
export function compileCommandArgv(job: CompileJob): string[] {
  return [job.compiler, ...compileArgv(job, job.object, job.depfile)];
}

/** The command as a user would run it by hand (final names in place of the temp ones). */
export function displayCompileCommand(job: CompileJob): string {
  return formatCommand(compileCommandArgv(job));
}

/**
 * Names the precompiled header a compile used in its depfile: gcc lists neither the
 * .gch nor the headers inside it, clang only the headers. The object depends on what
 * the .gch holds, so the build state and the cache must see it; with it listed they
 * treat it as one more header, and its content is the PCH's identity.
 */
function appendPchRule(job: CompileJob, depfile: string): void {
  const esc = (p: string) => p.replace(/([ #])/g, '\\$1').replace(/\$/g, '$$$$');
  const header = job.pch!.replace(/\.gch$/, '');
  appendFileSync(depfile, `\n${esc(job.object)}: ${esc(header)} ${esc(job.pch!)}\n`);
}

export async function runCompile(
  job: CompileJob,
  identity: RunnerIdentity,
  opts: RunCompileOptions = {},
): Promise<CompileResult> {
  const started = performance.now();
  const { signal } = opts;
  if (signal?.aborted) throw new CompileCancelledError(job.object);

  const objAbs = resolve(job.cwd, job.object);
  const depAbs = resolve(job.cwd, job.depfile);
  // One suffix for both, so a sweep of the writer's leftovers finds the pair.
  const suffix = tempPathFor(objAbs).slice(objAbs.length);
  const tmpObj = objAbs + suffix;
  const tmpDep = depAbs + suffix;
  const removeTemps = () => Promise.all([rm(tmpObj, { force: true }), rm(tmpDep, { force: true })]);
  const result = (outcome: 'compiled' | 'failed', exit_code: number, stderr: string, headers: string[] = []): CompileResult => ({
    outcome,
    exit_code,
    stderr,
    duration_ms: Math.round(performance.now() - started),
    headers,
    compiler_id: identity.id,
  });

  // Synchronous: the directory almost always exists, and a thread-pool round trip
  // (several ms when the pool is busy) would sit right before the spawn.
  mkdirSync(dirname(objAbs), { recursive: true });
  if (dirname(depAbs) !== dirname(objAbs)) mkdirSync(dirname(depAbs), { recursive: true });

  const { via } = opts;
  const argv = spawnArgv(compileArgv(job, job.object + suffix, job.depfile + suffix), identity.kind, via !== undefined, spareCore());
  const run = await runInProcessGroup(via ? via.program : identity.path, via ? [identity.path, ...argv] : argv, {
    cwd: job.cwd,
    ...(via ? { env: via.env } : {}),
    ...(signal ? { signal } : {}),
    ...(opts.onSpawn ? { onSpawn: opts.onSpawn } : {}),
    ...(opts.onExit ? { onExit: opts.onExit } : {}),
  });

  if (run.spawn_error) {
    await removeTemps();
    return result('failed', run.exit_code, `replibuild: cannot run ${via ? via.program : `compiler ${identity.path}`}: ${run.spawn_error.message}\n`);
  }
  if (run.aborted || signal?.aborted) {
    await removeTemps();
    throw new CompileCancelledError(job.object);
  }
  // stdout is normally empty for -c; keep it rather than lose what the compiler said.
  let stderr = run.stderr + run.stdout;
  if (run.exit_code !== 0) {
    await removeTemps();
    if (run.signal) stderr += `replibuild: the compiler for ${job.source} was killed by ${run.signal}\n`;
    return result('failed', run.exit_code, stderr);
  }

  try {
    // Before anything moves: -fsyntax-only and friends write a depfile but no object.
    // Synchronous from here to the answer, for the reason mkdir above is.
    accessSync(tmpObj);
    if (job.pch !== undefined) appendPchRule(job, tmpDep);
    const dep = parseDepfile(readFileSync(tmpDep, 'utf8'), tmpDep);
    const srcAbs = resolve(job.cwd, job.source);
    const headers = dep.prereqs.filter((p) => p !== job.source && resolve(job.cwd, p) !== srcAbs);
    // Depfile first, object last: the object's arrival is what says "done".
    renameSync(tmpDep, depAbs);
    renameSync(tmpObj, objAbs);
    return result('compiled', 0, stderr, headers);
  } catch (e) {
    await removeTemps();
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT'
      ? 'the compiler exited 0 but wrote no object or depfile (are -E, -S or -fsyntax-only among the flags?)'
      : (e as Error).message;
    return result('failed', 1, `${stderr}replibuild: ${job.source}: ${why}\n`);
  }
}
