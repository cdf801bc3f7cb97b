// What one build is given (build-engine.ts, runBuild): the config and request, how to
// compile, and what a daemon keeps across builds (the state, the hasher, the plan).
import type { BuildEvent, BuildRequest, CompileJob, CompileResult } from '../../protocol/build.js';
import type { ProjectConfig } from '../../config/types.js';
import type { CompilerIdentity } from '../../toolchain/compiler-identity.js';
import type { LinkCache } from '../../cache/link-cache.js';
import type { BuildState } from './build-state.js';
import type { FileHasher } from './file-hasher.js';
import type { BuildPlan, PlanInput } from './planner.js';
import type { EarlyCompile } from './compile-ahead.js';

/** `onStart`, when the function calls it, hears Date.now() from just before the job
 *  really started (it may wait in the compile service's queue before). */
export type CompileFunction = (job: CompileJob, signal: AbortSignal, onStart?: (atMs: number) => void) => Promise<CompileResult>;

export interface RunBuildOptions {
  config: ProjectConfig;
  request: BuildRequest;
  compile: CompileFunction;
  /** The C++ compiler: its TUs and every link. */
  compilerIdentity: Pick<CompilerIdentity, 'id' | 'cache_id' | 'path'>;
  /** The C compiler: required when the requested targets have C sources. */
  cCompilerIdentity?: Pick<CompilerIdentity, 'id' | 'cache_id' | 'path'>;
  /** Default: one whose cache persists in .replibuild/state/hash-cache.json, loaded
   *  before planning and saved after the build. A hasher passed in is the caller's to
   *  load and save. */
  hasher?: FileHasher;
  signal?: AbortSignal;
  onEvent?: (e: BuildEvent) => void;
  /** Tags this build's compile jobs, so the compilation daemon can cancel them together. */
  build_id?: string;
  /** Compiles and links this build keeps in flight when request.jobs is 0;
   *  default: one per core. Set it to the compile queue's concurrency. */
  max_in_flight?: number;
  /** The build state to plan from and record into; default: loaded from disk. A daemon
   *  keeps one across builds so it is not re-read each time. */
  state?: BuildState;
  /** Change hints from the discovery journal (see PlanInput). */
  unchanged?: PlanInput['unchanged'];
  forceDirty?: PlanInput['forceDirty'];
  /** Serve links from the cache (and store them there). */
  linkCache?: LinkCache;
  /** Every TU is handed to `compile` as soon as it is ready, not when one of the build's
   *  slots is free: `compile` bounds what runs itself (the compilation daemon runs at most
   *  request.jobs of a build at once), calls onStart as each starts, and `cancelQueued`
   *  drops the jobs it has not started (the build stops at its first failure). Absent:
   *  at most max_in_flight compiles are asked for at once. */
  handOff?: { cancelQueued(): void };
  /** A plan made already (edit-plan.ts): used instead of planning. */
  plan?: BuildPlan;
  /** Told the plan before anything compiles; the plan it returns (the same TUs, held
   *  more lightly: kept-plan.ts) is the one the build runs, so the planned one can go. */
  onPlan?: (plan: BuildPlan) => BuildPlan | void;
  /** A compile of this very job done before the build asked (compile-ahead.ts), taken
   *  instead of compiling; undefined: compile it. */
  adopt?: (job: CompileJob) => EarlyCompile | undefined;
}
