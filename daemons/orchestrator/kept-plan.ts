// The last build's plan as the orchestrator keeps it for the next edit (edit-plan.ts). Its
// TUs keep no compile job: at 5,000 tiny TUs the jobs (an object, an argument array and
// a depfile path each, about 300 bytes) were 1.5 MB of the idle heap, and an edit
// compiles a handful of them. A kept TU makes its job again when asked, from the
// config, target and build it was planned with, as the planner made it (compileJobFor).
// The planner makes its TUs so (but those with a precompiled header), and the build runs
// from them (build-engine.ts, onPlan): a cold build at 20,000 TUs never holds 20,000 jobs
// at once, only those it has in flight (an edit sets the build_id of the few it compiles anew).
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import type { CompileJob } from '../../protocol/build.js';
import type { RebuildReason } from '../../protocol/trace.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import type { BuildPlan, TuPlan } from './planner.js';

/** What a target's kept TUs were planned with: one per target, shared by its TUs. */
export interface KeptFrom {
  readonly config: ProjectConfig;
  readonly target: ResolvedTarget;
  readonly opts: { build_id?: string };
}

/** What a TU's plan holds but its job (planner.ts, tuPlanOf). */
export type TuFacts = Pick<TuPlan, 'target' | 'source' | 'object' | 'compiler_id' | 'command_hash'>;

/** A TU's plan without its job. Whether it was dirty is kept: edit-plan.ts reads it. */
export class KeptTu implements TuPlan {
  readonly target: string;
  readonly source: string;
  readonly object: string;
  readonly compiler_id: string;
  readonly command_hash: string;
  dirty: boolean;
  reason: RebuildReason | null;

  constructor(
    tu: TuFacts,
    reason: RebuildReason | null,
    private readonly from: KeptFrom,
  ) {
    this.target = tu.target;
    this.source = tu.source;
    this.object = tu.object;
    this.compiler_id = tu.compiler_id;
    this.command_hash = tu.command_hash;
    this.dirty = reason !== null;
    this.reason = reason;
  }

  get job(): CompileJob {
    return compileJobFor(this.from.config, this.from.target, this.source, this.from.opts);
  }
}

/** `plan` as kept for its build and after it: its TUs without their jobs, each made
 *  again (with `build_id`, the build's) when asked. A plan with precompiled headers is
 *  kept as it is (an edit plans it in full anyway; its TUs' jobs change as they compile). */
export function keptTusOf(plan: BuildPlan, config: ProjectConfig, build_id?: string): BuildPlan {
  if (plan.pch_uses.length > 0 || plan.pchs.length > 0) return plan;
  const from = new Map(plan.targets.map((t) => [t.name, keptFrom(config, t, build_id)]));
  const tus = plan.tus.map((tu) => {
    const f = from.get(tu.target);
    return tu instanceof KeptTu || tu.pch !== undefined || !f ? tu : new KeptTu(tu, tu.reason, f);
  });
  return { ...plan, tus };
}

export function keptFrom(config: ProjectConfig, target: ResolvedTarget, build_id: string | undefined): KeptFrom {
  return { config, target, opts: build_id !== undefined ? { build_id } : {} };
}
