// Connections that have not authenticated yet: each gets a deadline, and only a
// few may wait at once. Any local user can reach a daemon's port, so without
// these a peer that connects and says nothing (or a byte a second) holds a slot
// for ever, and enough of them lock the owner out.
//
// When the waiting room is full the OLDEST waiter is dropped, not the newcomer:
// the owner's own client is unauthenticated for its first millisecond too, and
// refusing newcomers would let whoever filled the room first keep it.
import type { Socket } from 'node:net';

export interface AuthGateOptions {
  /** A connection still unauthenticated this long after it was accepted is closed. */
  deadlineMs: number;
  /** Unauthenticated connections held at once; a newcomer beyond this evicts the oldest. */
  maxWaiting: number;
}

export class AuthGate {
  /** Insertion order is age order: the first key is the oldest waiter. */
  private readonly waiting = new Map<Socket, NodeJS.Timeout>();
  /** Connections closed for want of authentication, by cause (for status and tests). */
  readonly dropped = { deadline: 0, evicted: 0 };

  constructor(private readonly opts: AuthGateOptions) {}

  get waitingCount(): number {
    return this.waiting.size;
  }

  /** A new connection starts waiting; makes room first if the room is full. */
  admit(socket: Socket): void {
    while (this.waiting.size >= Math.max(1, this.opts.maxWaiting)) {
      const oldest = this.waiting.keys().next().value as Socket;
      this.drop(oldest);
      this.dropped.evicted++;
    }
    const timer = setTimeout(() => {
      if (!this.waiting.has(socket)) return;
      this.drop(socket);
      this.dropped.deadline++;
    }, this.opts.deadlineMs);
    timer.unref();
    this.waiting.set(socket, timer);
  }

  /** The connection authenticated, or closed: it no longer waits. */
  release(socket: Socket): void {
    const timer = this.waiting.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.waiting.delete(socket);
  }

  private drop(socket: Socket): void {
    this.release(socket);
    socket.destroy();
  }
}
