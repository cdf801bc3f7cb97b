// A build through the project's daemons, driven from the test process so a test can
// see every event; it fails the test if the build fell back to building in-process.
import { expect } from 'vitest';
import { runBuildRequest } from '../../client/build-client.js';
import type { BuildEvent } from '../../protocol/build.js';
import { withProjectEnv, type TestProject } from './project.js';

export async function daemonBuildEvents(p: TestProject, jobs: number): Promise<BuildEvent[]> {
  const events: BuildEvent[] = [];
  const notes: string[] = [];
  const summary = await withProjectEnv(p, () =>
    runBuildRequest(
      p.root,
      { targets: [], jobs, keep_going: false, verbose: false },
      { noDaemon: false, onEvent: (e) => events.push(e), onNote: (t) => notes.push(t) },
    ),
  );
  expect(summary.ok, summary.error).toBe(true);
  expect(notes, 'the build ran through the daemons, not in this process').toEqual([]);
  return events;
}
