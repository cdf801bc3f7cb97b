// What a program run in its own process group comes to, whoever started it: this process
// (process-group.ts) or the spawn helper (spawner.ts). One rule for both, so a compile's
// exit status reads the same either way.

import { constants as osConstants } from 'node:os';
import type { GroupRunResult } from './process-group.js';

/** Signals the whole group (the driver and what it started); a group already gone is fine. */
export function killProcessGroup(pid: number, sig: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // Already gone.
  }
}

/** The result of a run, its exit code as a shell reports it: 128 + the signal's number
 *  for a death by signal, 127 for a program not found, 126 for one that could not start. */
export function groupResult(
  code: number | null,
  signal: NodeJS.Signals | null,
  stdout: string,
  stderr: string,
  spawnError: NodeJS.ErrnoException | undefined,
  aborted: boolean,
): GroupRunResult {
  const exit_code = code ?? (signal ? 128 + ((osConstants.signals as Record<string, number>)[signal] ?? 0) : spawnError?.code === 'ENOENT' ? 127 : 126);
  const r: GroupRunResult = { exit_code, signal, stdout, stderr, aborted };
  if (spawnError) r.spawn_error = spawnError;
  return r;
}
