// The processes a daemon spawned (compilers, linkers), written to disk as they
// come and go, so that after a kill -9 of the daemon the next `start` can reap them.
import type { ChildRecord, DaemonName } from '../../protocol/messages.js';
import type { ProjectPaths } from './paths.js';
import { writeChildren } from './pidfiles.js';
import { procStartTime } from './proc.js';

export class ChildTracker {
  private readonly children = new Map<number, ChildRecord>();

  constructor(
    private readonly paths: ProjectPaths | null,
    private readonly name: DaemonName,
  ) {}

  add(pid: number, command: string): void {
    this.children.set(pid, { pid, proc_start: procStartTime(pid), command });
    this.flush();
  }

  remove(pid: number): void {
    if (this.children.delete(pid)) this.flush();
  }

  get count(): number {
    return this.children.size;
  }

  /** Kill every tracked child's process group (on shutdown). */
  killAll(): void {
    for (const pid of this.children.keys()) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    this.children.clear();
    this.flush();
  }

  private flush(): void {
    if (this.paths) writeChildren(this.paths, this.name, [...this.children.values()]);
  }
}
