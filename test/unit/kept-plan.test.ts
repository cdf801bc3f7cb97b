// The kept plan's TUs hold no job, and make the one the planner made when asked.
import { describe, expect, it } from 'vitest';
import type { ProjectConfig } from '../../config/types.js';
import { projectConfig, resolvedTarget } from '../helpers/config-fixture.js';
import { BuildState } from '../../daemons/orchestrator/build-state.js';
import { keptTusOf } from '../../daemons/orchestrator/kept-plan.js';
import { planBuild } from '../../daemons/orchestrator/planner.js';

const config: ProjectConfig = projectConfig(
  '/p',
  [
    resolvedTarget({ name: 'core', kind: 'static', include_dirs: ['include'], sources: ['src/core/a.cpp', 'src/core/b.c'], defines: ['X=1'] }),
    resolvedTarget({ name: 'app', kind: 'executable', sources: ['src/app/main.cpp'], deps: ['core'], link_deps: ['core'] }),
  ],
  { name: 'p' },
);

describe('keptTusOf', () => {
  it('keeps every field of every TU but the job, and makes the same job again', async () => {
    const plan = await planBuild({
      config,
      targets: [],
      state: BuildState.empty('/p'),
      compiler: { id: 'cxx1' },
      cCompiler: { id: 'cc1' },
      hasher: { hash: async () => null },
    });
    const kept = keptTusOf(plan, config);
    expect(kept.tus).toHaveLength(3);
    kept.tus.forEach((k, i) => {
      const tu = plan.tus[i]!;
      expect(k).not.toBe(tu);
      expect(Object.keys(k)).not.toContain('job');
      for (const f of ['target', 'source', 'object', 'compiler_id', 'command_hash', 'dirty', 'reason'] as const) expect(k[f]).toEqual(tu[f]);
      const { build_id: _b, ...planned } = tu.job;
      expect(k.job).toEqual(planned);
    });
    // Kept again (an edit's plan holds the kept TUs it did not compile): the same instances.
    const again = keptTusOf({ ...plan, tus: kept.tus }, config);
    again.tus.forEach((k, i) => expect(k).toBe(kept.tus[i]));
  });

  it('makes the job with the build id it is kept for: the build runs from the kept plan', async () => {
    const plan = await planBuild({
      config,
      targets: [],
      state: BuildState.empty('/p'),
      compiler: { id: 'cxx1' },
      cCompiler: { id: 'cc1' },
      hasher: { hash: async () => null },
      build_id: 'b1',
    });
    const kept = keptTusOf(plan, config, 'b1');
    kept.tus.forEach((k, i) => {
      expect(Object.keys(k)).not.toContain('job');
      expect(k.job).toEqual(plan.tus[i]!.job);
      expect(k.job.build_id).toBe('b1');
    });
  });
});
