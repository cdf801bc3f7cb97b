// A build's -j shared by the compiles handed off to the compilation daemon (bounded
// there) and the links the engine runs itself (build-engine.ts). The daemon cannot see
// links, so the engine keeps both within -j, as make and ninja count a link as a job: a
// link waits until the compiles handed off and not yet answered (running or queued at
// the daemon) leave it room, and no compile is handed off while links fill the room.

export class JobRoom {
  private compiles = 0;
  private links = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly jobs: number) {}

  /** Hands a compile off: waits only while a link runs and the room is full. */
  async compile<T>(run: () => Promise<T>): Promise<T> {
    while (this.links > 0 && this.full()) await this.change();
    return this.hold('compiles', run);
  }

  /** Runs a link once compiles and links leave it one of the jobs. */
  async link<T>(run: () => Promise<T>): Promise<T> {
    while (this.full()) await this.change();
    return this.hold('links', run);
  }

  private full(): boolean {
    return this.compiles + this.links >= this.jobs;
  }

  private async hold<T>(kind: 'compiles' | 'links', run: () => Promise<T>): Promise<T> {
    this[kind]++;
    try {
      return await run();
    } finally {
      this[kind]--;
      this.wake();
    }
  }

  private change(): Promise<void> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private wake(): void {
    for (const w of this.waiting.splice(0)) w();
  }
}
