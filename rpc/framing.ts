// Line framing for JSON-RPC over a byte stream: one message per '\n'-terminated
// line. A line longer than the bound is dropped (not buffered), so a client that
// sends garbage without newlines cannot make a daemon grow without limit.

/** A single JSON-RPC line longer than this is refused; the connection survives. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

export type FrameEvent = { kind: 'line'; line: string } | { kind: 'overflow'; bytes: number };

export class LineDecoder {
  private parts: Buffer[] = [];
  private size = 0;
  /** Bytes of an oversized line seen so far; >0 while skipping to its end. */
  private skipping = 0;

  /** Settable: a server keeps it small until the peer has authenticated. It is read at
   *  each line, so a change made while handling one line applies to the next one. */
  constructor(public maxLineBytes: number) {}

  /** Is a line over the bound being skipped (its end not seen yet)? */
  get overflowing(): boolean {
    return this.skipping > 0;
  }

  /** Feed a chunk; returns complete lines and overflow reports, in order. */
  push(chunk: Buffer): FrameEvent[] {
    return [...this.feed(chunk)];
  }

  /** Feed a chunk; yields complete lines and overflow reports, in order, lazily: the
   *  consumer may change maxLineBytes (or stop) between lines. */
  *feed(chunk: Buffer): Generator<FrameEvent, void, undefined> {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.skipping > 0) {
        this.skipping += piece.length;
      } else if (this.size + piece.length > this.maxLineBytes) {
        this.skipping = this.size + piece.length;
        this.parts = [];
        this.size = 0;
      } else if (piece.length > 0) {
        this.parts.push(Buffer.from(piece));
        this.size += piece.length;
      }
      if (nl === -1) break;
      start = nl + 1;
      if (this.skipping > 0) {
        const bytes = this.skipping;
        this.skipping = 0;
        yield { kind: 'overflow', bytes };
      } else {
        const line = Buffer.concat(this.parts, this.size).toString('utf8').replace(/\r$/, '');
        this.parts = [];
        this.size = 0;
        if (line.trim() !== '') yield { kind: 'line', line };
      }
    }
  }
}

export function encodeMessage(msg: unknown): string {
  // JSON.stringify never emits a raw newline, so one message stays one line.
  return JSON.stringify(msg) + '\n';
}
