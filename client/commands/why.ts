// `replibuild why [FILE] [--build BUILD]`: why each TU and link of the last build
// (or FILE's) was rebuilt, from the build's trace.
import { relative, resolve } from 'node:path';
import { loadTrace, traceIds } from '../../daemons/orchestrator/trace-store.js';
import { explainTrace, stepsFor, traceHeading } from '../explain.js';
import { resolveProject } from '../project.js';
import { profileBuildDirOf } from '../profile.js';
import type { BuildTrace } from '../../protocol/trace.js';

export interface WhyArgs {
  dir?: string;
  file?: string;
  build?: string;
  /** Count only the builds of this profile. */
  profile?: string;
}

export async function run(args: WhyArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const trace = loadTrace(root, args.build, profileBuildDirOf(root, args.profile));
  const file = args.file === undefined ? undefined : pickName(trace, root, args.file);
  const lines = [traceHeading(trace)];
  if (trace.error !== undefined) lines.push(`failed: ${trace.error}`);
  lines.push(...explainTrace(trace, file));
  if (file === undefined && trace.steps.length === 0) {
    const busy = lastBusy(root, trace.id);
    if (busy !== null) lines.push(`the last build that rebuilt something is ${busy}: replibuild why --build ${busy}`);
  }
  process.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** FILE as the trace names it: relative to the root, whether given from the caller's
 *  directory (a subdirectory, a shell completion) or already from the root. */
function pickName(trace: BuildTrace, root: string, file: string): string {
  const fromCwd = relative(root, resolve(process.cwd(), file));
  return stepsFor(trace, fromCwd).length > 0 || stepsFor(trace, file).length === 0 ? fromCwd : file;
}

/** The newest build before `id` whose trace has steps, or null. */
function lastBusy(root: string, id: number): number | null {
  for (const older of traceIds(root).filter((i) => i < id).reverse()) {
    try {
      if (loadTrace(root, String(older)).steps.length > 0) return older;
    } catch {
      // Unreadable or pruned meanwhile: look further back.
    }
  }
  return null;
}
