// What an RPC connection needs of the byte stream under it: net.Socket has it all, and
// so does the CLI's lean TCP connection (lean-tcp.ts).

export interface RpcWire {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'error', listener: (e: Error) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  write(text: string): unknown;
  /** Writes wait (in order) until uncork: they then leave as one write. */
  cork(): void;
  uncork(): void;
  destroy(): void;
}

/** Opens a wire to 127.0.0.1:port, or rejects (an Error with the system's code) within
 *  `timeoutMs`. */
export type WireConnector = (port: number, timeoutMs: number) => Promise<RpcWire>;

export class ConnectionClosedError extends Error {
  constructor(
    message = 'connection to the daemon closed',
    /** 'timeout': nothing answered in time (a hung daemon looks like this); 'closed': the
     *  peer closed or reset the connection (a live daemon shedding load does this). */
    readonly how: 'closed' | 'timeout' = 'closed',
  ) {
    super(message);
    this.name = 'ConnectionClosedError';
  }
}

/** What a connector rejects with when the port did not answer in time. */
export function connectTimeout(port: number, timeoutMs: number): ConnectionClosedError {
  return new ConnectionClosedError(`no answer on port ${port} within ${timeoutMs} ms`, 'timeout');
}
