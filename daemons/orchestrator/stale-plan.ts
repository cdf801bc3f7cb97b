// A plan made from the last build's (edit-plan.ts) that the files have since outgrown:
// an object it links as it is was deleted by hand. The engine says so once that build's
// own work is recorded; build-retry.ts then plans in full.
import type { BuildSummary } from '../../protocol/build.js';

export type BuildCounts = Pick<BuildSummary, 'compiled' | 'cached' | 'upToDate' | 'linked' | 'failed'>;

export class StalePlanError extends Error {
  constructor(
    /** What the stopped build did (its compiles are recorded: the full plan finds them up to date). */
    readonly done: BuildCounts,
    readonly seconds: number,
  ) {
    super('an object the plan links as it is is missing: planned again in full');
    this.name = 'StalePlanError';
  }
}
