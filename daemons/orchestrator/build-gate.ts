// Lets a build's after-work step aside for the builds that come after it. The after-work
// (telling discovery every TU's headers after a cold build: at 20,000 TUs 80 requests,
// a second and more of CPU and collections in the orchestrator and in discovery) only
// buys speed later; a no-op arriving meanwhile is the build someone waits for. So the
// after-work goes on between builds, never during one.

export class BuildGate {
  private holders = 0;
  private waiters: (() => void)[] = [];

  /** A build is running: after-work waits until the returned release (idempotent). A build
   *  that itself waits for the after-work releases first (see OrchestratorService.runOne). */
  hold(): () => void {
    this.holders++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--this.holders > 0) return;
      const waiters = this.waiters;
      this.waiters = [];
      for (const w of waiters) w();
    };
  }

  /** Resolves at once when no build holds the gate, else once the last one releases it. */
  open(): Promise<void> {
    return this.holders === 0 ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
}
