// The kept plan's TUs hold no job, and make the one the planner made when asked.
import { describe, expect, it } from 'vitest';
import type { ProjectConfig } from '../../config/types.js';
import { projectConfig, resolvedTarget } from '../helpers/config-fixture.js';
import { BuildState } from '../../daemons/orchestrator/build-state.js';
import { keptTusOf } from '../../daemons/orchestrator/kept-plan.js';
import { planBuild, tuPlanOf } from '../../daemons/orchestrator/planner.js';
import { compileJobFor } from '../../toolchain/compile-args.js';

const config: ProjectConfig = projectConfig(
  '/p',
  [
    resolvedTarget({ name: 'core', kind: 'static', include_dirs: ['include'], sources: ['src/core/a.cpp', 'src/core/b.c'], defines: ['X=1'] }),
    resolvedTarget({ name: 'app', kind: 'executable', sources: ['src/app/main.cpp'], deps: ['core'], link_deps: ['core'] }),
  ],
  { name: 'p' },
);

const planned = (build_id?: string) =>
  planBuild({
    config,
    targets: [],
    state: BuildState.empty('/p'),
    compiler: { id: 'cxx1' },
    cCompiler: { id: 'cc1' },
    hasher: { hash: async () => null },
    ...(build_id !== undefined ? { build_id } : {}),
  });

describe('keptTusOf', () => {
  it('the planner makes TUs without a job, which make the one it would have made, with the build id', async () => {
    const plan = await planned('b1');
    expect(plan.tus).toHaveLength(3);
    for (const tu of plan.tus) {
      expect(Object.keys(tu)).not.toContain('job');
      const t = config.targets.find((x) => x.name === tu.target)!;
      expect(tu.job).toEqual(compileJobFor(config, t, tu.source, { build_id: 'b1' }));
    }
    // Kept (the build runs from the kept plan, an edit's holds the TUs it did not compile): the same instances.
    const kept = keptTusOf(plan, config, 'b1');
    kept.tus.forEach((k, i) => expect(k).toBe(plan.tus[i]));
  });

  it('keeps every field of a TU made with its job (an edit compiles it) but the job, made again with the build id kept for', async () => {
    const plan = await planned();
    const withJobs = plan.tus.map((tu) => tuPlanOf(tu, { kind: 'no-previous-build' }, { ...tu.job, build_id: 'b2' }));
    const kept = keptTusOf({ ...plan, tus: withJobs }, config, 'b2');
    kept.tus.forEach((k, i) => {
      const tu = withJobs[i]!;
      expect(k).not.toBe(tu);
      expect(Object.keys(k)).not.toContain('job');
      for (const f of ['target', 'source', 'object', 'compiler_id', 'command_hash', 'dirty', 'reason'] as const) expect(k[f]).toEqual(tu[f]);
      expect(k.job).toEqual(tu.job);
    });
  });
});
