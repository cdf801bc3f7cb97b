// Which compile requests the compilation daemon runs: only the compiles the
// project's config gives, with the compiler it resolves for that source ([compiler]
// cc for a C source, cxx for a C++ one). A job's arguments are a
// command line (-wrapper, -fplugin=, -specs=, -Wl,-o,... would run or write
// anything), so no list of bad flags could be complete; instead the job must be
// the very one the orchestrator derives from the config for that source, in one of
// the config's build profiles, and its outputs must really lie in a build dir.

import { resolve } from 'node:path';
import type { CompileJob } from '../../protocol/build.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import { findOnPath } from '../../config/compiler.js';
import { resolveQuick } from '../../fs/resolver.js';
import { outsideProject, realPathOfExisting, type RequestScope, type ResolvedPaths, type ScopeView } from '../common/request-scope.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import { isPchHeaderOf, pchBuildJob, withPch } from '../../toolchain/pch-jobs.js';
import { sourceLanguage } from '../../config/source-language.js';
import { allProfiles } from '../../config/profiles.js';

/** A compiler command of the config and where it resolves (PATH looked up from the
 *  root); path null: nowhere. */
interface AllowedProgram {
  key: 'cxx' | 'cc';
  command: string;
  path: string | null;
}

/** What one profile of a config allows to run. */
interface AllowedProfile {
  config: ProjectConfig;
  cxx: AllowedProgram;
  cc: AllowedProgram;
  /** Indexes into config.targets of the targets naming each source. */
  targetsBySource: ReadonlyMap<string, readonly number[]>;
}

/** What a config allows to run, worked out once per config: each profile's (the default one first). */
type Allowed = AllowedProfile[];

/** Source → the indexes of the targets naming it. One list per target for its sources (a
 *  source is mostly in one target): a list per source was 0.6 MB at 20,000 sources. */
function indexSources(targets: readonly ResolvedTarget[]): Map<string, readonly number[]> {
  const bySource = new Map<string, readonly number[]>();
  targets.forEach((t, i) => {
    const alone = [i];
    for (const s of t.sources) {
      const list = bySource.get(s);
      bySource.set(s, list ? [...list, i] : alone);
    }
  });
  return bySource;
}

function sameSources(a: readonly ResolvedTarget[], b: readonly ResolvedTarget[]): boolean {
  return a.length === b.length && a.every((t, i) => t.sources === b[i]!.sources || sameArgs(t.sources, b[i]!.sources));
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export class CompileRequestGuard {
  private readonly allowed = new WeakMap<ProjectConfig, Allowed>();
  /** The source-to-targets map made last, and the targets it was made from. */
  private lastSources: { targets: readonly ResolvedTarget[]; readonly bySource: ReadonlyMap<string, readonly number[]> } | undefined;

  constructor(private readonly scope: RequestScope) {}

  /** Refuses an identity probe of anything but the project's compiler, or from elsewhere. */
  async checkIdentity(compiler: string, cwd: string): Promise<void> {
    await this.scope.check((view) => this.cwdVerdict(view, cwd) ?? this.programVerdict(view, compiler));
  }

  /** Refuses a job that is not one the project's config gives. `paths`: the real paths
   *  the other jobs of its batch resolved (each job's own outputs are still looked at). */
  async checkJob(job: CompileJob, paths?: ResolvedPaths): Promise<void> {
    await this.scope.check((view) => this.jobVerdict(view, job, paths?.current()));
  }

  private allowedOf(project: ProjectConfig, root: string): Allowed {
    let a = this.allowed.get(project);
    if (!a) {
      a = allProfiles(project).map((config) => {
        // Profiles, and the configs a reload replaces, mostly list the same sources per
        // target: one map for them all (0.9 MB each at 20,000 sources), by target index.
        let shared = this.lastSources;
        if (!shared || !sameSources(shared.targets, config.targets)) this.lastSources = shared = { targets: config.targets, bySource: indexSources(config.targets) };
        else shared.targets = config.targets; // not the older config's targets kept alive
        const targetsBySource = shared.bySource;
        const program = (key: 'cxx' | 'cc'): AllowedProgram => {
          const command = config.compiler[key];
          return { key, command, path: findOnPath(command, { cwd: root }) };
        };
        return { config, cxx: program('cxx'), cc: program('cc'), targetsBySource };
      });
      this.allowed.set(project, a);
    }
    return a;
  }

  private cwdVerdict(view: ScopeView, cwd: string, resolved?: Map<string, string | null>): RpcError | null {
    const real = realPathOfExisting(resolveQuick(view.root, cwd), resolved);
    if (real !== null && real === view.rootReal) return null;
    return new RpcError(ErrorCode.PathOutsideProject, `compilers run in the project root ${view.root}, not in ${cwd}; refused`, { path: cwd });
  }

  /** An identity probe may ask about any of the config's compilers, in any profile. */
  private programVerdict(view: ScopeView, compiler: string): RpcError | null {
    if (!view.project) return notConfigured();
    const a = this.allowedOf(view.project, view.root);
    if (a.some((p) => isProgram(p.cxx, compiler, view.root) || isProgram(p.cc, compiler, view.root))) return null;
    const all = [...new Set(a.flatMap((p) => [describe(p.cxx), describe(p.cc)]))];
    return new RpcError(
      ErrorCode.ProgramNotAllowed,
      `refusing to run ${compiler}: the project's compilers are ${all.join(' and ')}, as replibuild.toml names or detects them`,
      { program: compiler },
    );
  }

  /** A compile may run only the config's compiler for its source's language. */
  private jobProgramVerdict(view: ScopeView, job: CompileJob): RpcError | null {
    if (!view.project) return notConfigured();
    const a = this.allowedOf(view.project, view.root);
    const c = sourceLanguage(job.source) === 'c';
    if (a.some((p) => isProgram(c ? p.cc : p.cxx, job.compiler, view.root))) return null;
    const want = c ? a[0]!.cc : a[0]!.cxx;
    const lang = c ? 'C' : 'C++';
    return new RpcError(
      ErrorCode.ProgramNotAllowed,
      `refusing to run ${job.compiler} on ${job.source}: the project's ${lang} compiler is ${describe(want)}, as replibuild.toml names or detects it`,
      { program: job.compiler },
    );
  }

  private jobVerdict(view: ScopeView, job: CompileJob, resolved = new Map<string, string | null>()): RpcError | null {
    const cwd = this.cwdVerdict(view, job.cwd, resolved);
    if (cwd) return cwd;
    if (job.pch === undefined && view.project && this.isPchBuild(view, job)) return this.outputsVerdict(view, job, resolved);
    const early = this.jobProgramVerdict(view, job) ?? this.outputsVerdict(view, job, resolved);
    if (early) return early;
    const profiles = this.allowedOf(view.project!, view.root);
    if (!profiles.some((p) => p.targetsBySource.has(job.source))) {
      // A source the config names is allowed as named (even through a symlink);
      // anything else must at least lie where a request may read.
      if (!view.readable.contains(resolve(view.root, job.source))) return outsideProject('the source', job.source, view);
      return new RpcError(ErrorCode.JobNotInConfig, `${job.source} is not a source of any target in replibuild.toml; refused`, { path: job.source });
    }
    const c = sourceLanguage(job.source) === 'c';
    for (const p of profiles) {
      if (!job.object.startsWith(`${p.config.build_dir}/`)) continue; // another profile's build dir
      if (!isProgram(c ? p.cc : p.cxx, job.compiler, view.root)) continue;
      for (const i of p.targetsBySource.get(job.source) ?? []) {
        const t = p.config.targets[i]!;
        // Each job is checked once per build: its object path is not worth a memo entry here.
        let want = compileJobFor(p.config, t, job.source, { rememberObjectPath: false });
        // A precompiled header the orchestrator made for this target (pch-plan.ts).
        if (job.pch !== undefined) {
          const header = job.pch.replace(/\.gch$/, '');
          if (t.pch !== 'auto' || !isPchHeaderOf(p.config, t, header)) continue;
          want = withPch(want, header, job.pch);
        }
        if (want.object === job.object && want.depfile === job.depfile && sameArgs(want.args, job.args)) return null;
      }
    }
    return new RpcError(
      ErrorCode.JobNotInConfig,
      `the compile of ${job.source} asked for is not the one replibuild.toml gives it (its arguments or outputs differ); refused. If replibuild.toml changed during the build, build again`,
      { path: job.source },
    );
  }

  /** A precompiled header's compile, as pch-plan.ts derives it: a target's generated
   *  header compiled with the command of one of its sources, by that source's compiler. */
  private isPchBuild(view: ScopeView, job: CompileJob): boolean {
    for (const p of this.allowedOf(view.project!, view.root)) {
      for (const t of p.config.targets) {
        if (t.pch !== 'auto' || !isPchHeaderOf(p.config, t, job.source)) continue;
        for (const s of t.sources) {
          if (!isProgram(sourceLanguage(s) === 'c' ? p.cc : p.cxx, job.compiler, view.root)) continue;
          const want = pchBuildJob(compileJobFor(p.config, t, s), job.source);
          if (want.object === job.object && want.depfile === job.depfile && sameArgs(want.args, job.args)) return true;
        }
      }
    }
    return false;
  }

  private outputsVerdict(view: ScopeView, job: CompileJob, resolved: Map<string, string | null>): RpcError | null {
    // Each file is looked at afresh per job (an output not there yet is not memoized);
    // the directories they lie in are resolved once per job, or per batch (ResolvedPaths).
    for (const [what, p] of [['the object', job.object], ['the depfile', job.depfile]] as const) {
      if (!view.build.contains(resolveQuick(view.root, p), resolved)) {
        return new RpcError(
          ErrorCode.PathOutsideProject,
          `${what} ${p} is outside the build dir ${view.buildDir}; refused`,
          { path: p },
        );
      }
    }
    return null;
  }
}

/** The same command as configured (even one not installed: the compile then says so),
 *  or another name for the very file it resolves to. */
function isProgram(p: AllowedProgram, command: string, root: string): boolean {
  return command === p.command || (p.path !== null && findOnPath(command, { cwd: root }) === p.path);
}

function describe(p: AllowedProgram): string {
  return `${p.command}${p.path ? ` (${p.path})` : ''} ([compiler] ${p.key})`;
}

function notConfigured(): RpcError {
  return new RpcError(ErrorCode.JobNotInConfig, 'no valid replibuild.toml has been loaded, so no compile is allowed yet; fix the config and build again');
}
