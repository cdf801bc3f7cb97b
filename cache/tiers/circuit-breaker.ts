// Stops asking a remote that keeps failing: after `threshold` failures in a row (errors
// or timeouts) the circuit opens and calls are refused at once for `coolMs`; then one
// call is let through as a probe. Its success closes the circuit, its failure opens it
// for another cooling period. A dead or stalled remote so costs a build a few timeouts,
// not one per translation unit.

export type CircuitState = 'closed' | 'open' | 'probing';

export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private state: CircuitState = 'closed';

  constructor(
    readonly threshold = 3,
    readonly coolMs = 10_000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether a call may go out now. In the open state, the first call after the cooling
   *  period is the probe; the others are refused until it reports. */
  allow(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'probing') return false;
    if (this.now() - this.openedAt < this.coolMs) return false;
    this.state = 'probing';
    return true;
  }

  success(): void {
    this.failures = 0;
    this.state = 'closed';
  }

  failure(): void {
    this.failures++;
    if (this.state === 'probing' || this.failures >= this.threshold) {
      this.state = 'open';
      this.openedAt = this.now();
    }
  }

  /** Opens at once (a fault that will not go away by retrying, e.g. a wrong password). */
  trip(): void {
    this.failures = Math.max(this.failures, this.threshold);
    this.state = 'open';
    this.openedAt = this.now();
  }

  get current(): CircuitState {
    return this.state;
  }
}
