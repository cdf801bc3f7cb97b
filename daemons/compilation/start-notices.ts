// When a batch's jobs started, told to its caller (CompileBatchEvent). A cache hit starts
// and ends within one turn of the event loop: its start travels in its result (`at_ms`)
// instead of a message of its own, which halves what a warm rebuild's batch sends and
// the orchestrator decodes. A job still running when the loop turns (a compile) has its
// start sent then, so progress shows it running.
import type { CompileBatchEvent, CompileResult } from '../../protocol/build.js';

export class StartNotices {
  /** Starts not sent yet: job index → the daemon's Date.now() just before it ran. */
  private readonly unsent = new Map<number, number>();
  private scheduled = false;

  constructor(private readonly send: (e: CompileBatchEvent) => void) {}

  started(index: number, at_ms: number): void {
    this.unsent.set(index, at_ms);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      for (const [i, at] of this.unsent) this.send({ index: i, started: true, at_ms: at });
      this.unsent.clear();
    });
  }

  /** The job's result, carrying its start when that was not sent yet. */
  result(index: number, result: CompileResult): void {
    const at_ms = this.take(index);
    this.send(at_ms === undefined ? { index, result } : { index, result, at_ms });
  }

  /** Sends the job's start now, if it has one not sent: what comes next (an error) says nothing of it. */
  flush(index: number): void {
    const at_ms = this.take(index);
    if (at_ms !== undefined) this.send({ index, started: true, at_ms });
  }

  /** The job's start if not sent yet, which is then no longer pending. */
  private take(index: number): number | undefined {
    const at_ms = this.unsent.get(index);
    this.unsent.delete(index);
    return at_ms;
  }
}
