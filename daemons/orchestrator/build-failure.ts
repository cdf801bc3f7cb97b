// What a build that failed says: a compile's failure as its result, and the summary's line.
import type { CompileResult } from '../../protocol/build.js';

export function failure(stderr: string, prev?: CompileResult): CompileResult {
  return {
    outcome: 'failed',
    exit_code: prev?.exit_code || 1,
    stderr,
    duration_ms: prev?.duration_ms ?? 0,
    headers: [],
    compiler_id: prev?.compiler_id ?? '',
  };
}

export function failureMessage(sources: string[], links: string[], stoppedEarly: boolean): string {
  const parts: string[] = [];
  const list = (xs: string[]) => (xs.length <= 3 ? xs.join(', ') : `${xs.slice(0, 3).join(', ')} and ${xs.length - 3} more`);
  if (sources.length) parts.push(`${sources.length} file${sources.length > 1 ? 's' : ''} failed to compile (${list(sources)})`);
  if (links.length) parts.push(`linking ${list(links)} failed`);
  let msg = `build failed: ${parts.join('; ')}; see the diagnostics above`;
  if (stoppedEarly) msg += ' (stopped at the first failure; --keep-going builds the rest)';
  return msg;
}
