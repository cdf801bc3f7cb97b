// The processes a daemon spawned (compilers, linkers), written to disk as they
// come and go, so that after a kill -9 of the daemon the next `start` can reap them.
import { type ChildRecord, writeChildren } from './pidfiles.js';
import type { DaemonName } from '../../config/daemon-names.js';
import type { ProjectPaths } from './paths.js';
import { procStartTime } from '../../fs/proc.js';

/** At most one write of the children file per this many ms. A compiler that starts
 *  and ends inside the window never reaches the file, and one killed with its daemon
 *  before the write finishes on its own: nothing is lost but a reap. Writing on every
 *  spawn and exit cost a cold build two renames per TU (5 % of the compilation
 *  daemon's time, profiled). */
const WRITE_INTERVAL_MS = 500;

export class ChildTracker {
  private readonly children = new Map<number, ChildRecord>();
  private lastWrite = -Infinity;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly paths: ProjectPaths | null,
    private readonly name: DaemonName,
    private readonly intervalMs = WRITE_INTERVAL_MS,
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
    this.write();
  }

  private flush(): void {
    if (!this.paths || this.timer) return;
    const wait = this.lastWrite + this.intervalMs - performance.now();
    if (wait <= 0) return this.write();
    this.timer = setTimeout(() => this.write(), wait);
    this.timer.unref();
  }

  private write(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.lastWrite = performance.now();
    if (this.paths) writeChildren(this.paths, this.name, [...this.children.values()]);
  }
}
