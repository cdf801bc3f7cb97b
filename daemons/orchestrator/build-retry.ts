// A build run with the plan made from the last build's, and once more planned in full
// when that plan met an object deleted by hand (stale-plan.ts): what both did, as one build.
import type { BuildSummary } from '../../protocol/build.js';
import { runBuild, type RunBuildOptions } from './build-engine.js';
import { StalePlanError } from './stale-plan.js';

export async function runBuildReplanning(opts: RunBuildOptions): Promise<BuildSummary> {
  try {
    return await runBuild(opts);
  } catch (e) {
    if (!(e instanceof StalePlanError) || opts.plan === undefined) throw e;
    const again = await runBuild({ ...opts, plan: undefined });
    const first = e.done;
    return {
      ...again,
      compiled: again.compiled + first.compiled,
      cached: again.cached + first.cached,
      // What the first run compiled is up to date in the second's plan.
      upToDate: Math.max(0, again.upToDate - first.compiled - first.cached),
      linked: again.linked + first.linked,
      seconds: again.seconds + e.seconds,
    };
  }
}
