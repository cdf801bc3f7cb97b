// The last build's plan as the orchestrator keeps it for the next edit (edit-plan.ts). Its
// TUs keep no compile job: at 5,000 tiny TUs the jobs (an object, an argument array and
// a depfile path each, about 300 bytes) were 1.5 MB of the idle heap, and an edit
// compiles a handful of them. A kept TU makes its job again when asked, from the
// config and target it was planned with, as the planner made it (compileJobFor); only
// the job's build_id, which the edit sets anew, is not the one it was planned with.
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import type { CompileJob } from '../../protocol/build.js';
import type { RebuildReason } from '../../protocol/trace.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import type { BuildPlan, TuPlan } from './planner.js';

/** A kept plan's TU, without its job. Whether it was dirty is kept: edit-plan.ts reads it. */
class KeptTu implements TuPlan {
  readonly target: string;
  readonly source: string;
  readonly object: string;
  readonly compiler_id: string;
  readonly command_hash: string;
  dirty: boolean;
  reason: RebuildReason | null;

  constructor(
    tu: TuPlan,
    private readonly config: ProjectConfig,
    private readonly resolved: ResolvedTarget,
  ) {
    this.target = tu.target;
    this.source = tu.source;
    this.object = tu.object;
    this.compiler_id = tu.compiler_id;
    this.command_hash = tu.command_hash;
    this.dirty = tu.dirty;
    this.reason = tu.reason;
  }

  get job(): CompileJob {
    return compileJobFor(this.config, this.resolved, this.source);
  }
}

/** `plan` as kept after its build: its TUs without their jobs. A plan with precompiled
 *  headers is kept as it is (an edit plans it in full anyway). The build itself goes on
 *  with `plan`, whose TUs keep theirs (until it ends, a cold build holds both). */
export function keptTusOf(plan: BuildPlan, config: ProjectConfig): BuildPlan {
  if (plan.pch_uses.length > 0 || plan.pchs.length > 0) return plan;
  const targets = new Map(plan.targets.map((t) => [t.name, t]));
  const tus = plan.tus.map((tu) => {
    const t = targets.get(tu.target);
    return tu instanceof KeptTu || tu.pch !== undefined || !t ? tu : new KeptTu(tu, config, t);
  });
  return { ...plan, tus };
}
