// A JSON-RPC connection to one daemon: connect, authenticate, call, receive
// notifications. Used by the CLI and by daemons that ask other daemons.
import { RpcErrorCode as ErrorCode } from './error-codes.js';
import { LineDecoder, MAX_LINE_BYTES, encodeMessage } from './framing.js';
import { AUTH_METHOD, NOTIFY_PROGRESS, RpcError, parseMessage, type JsonRpcId, type ProgressNotification } from './jsonrpc.js';
import { ConnectionClosedError, type RpcWire, type WireConnector } from './wire.js';
import { leanTcpConnector } from './lean-tcp.js';

export { ConnectionClosedError };

export interface CallOptions<E = unknown> {
  /** Progress notifications for this call. */
  onProgress?(event: E): void;
  signal?: AbortSignal;
  /** No answer within this many ms → the call fails (default: none). */
  timeoutMs?: number;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  onProgress?(event: unknown): void;
  cleanup(): void;
}

export class RpcConnection {
  private nextId = 1;
  private readonly pending = new Map<JsonRpcId, Pending>();
  private closedError: Error | null = null;
  private authHeld = false;

  private constructor(private readonly socket: RpcWire) {
    const decoder = new LineDecoder(MAX_LINE_BYTES);
    socket.on('data', (chunk: Buffer) => {
      for (const ev of decoder.push(chunk)) {
        if (ev.kind === 'line') this.onLine(ev.line);
      }
    });
    socket.on('error', (e) => this.fail(new ConnectionClosedError(`connection to the daemon failed: ${e.message}`)));
    socket.on('close', () => this.fail(new ConnectionClosedError()));
  }

  /** Connect to 127.0.0.1:port and authenticate with the token. */
  static async open(port: number, token: string, timeoutMs = 5000): Promise<{ conn: RpcConnection; identity: Record<string, unknown> }> {
    const { conn, identity } = await RpcConnection.openPipelined(port, token, timeoutMs, await netConnector());
    return { conn, identity: await identity };
  }

  /** Connect and send the token without waiting for the answer: calls made at once
   *  follow it on the wire, and the daemon, which reads a connection's lines in order,
   *  takes them once the token is good (and none of them otherwise). A call so costs one
   *  round trip, not two. `identity` is auth's answer; when it fails, the connection is
   *  closed (and the calls fail with it). The connection is the lean one where it can be
   *  (lean-tcp.ts: for a process that makes one call and leaves, the CLI's build, loading
   *  node:net would be a fifth of its own work), node:net's otherwise. */
  static async openPipelined(
    port: number,
    token: string,
    timeoutMs = 5000,
    connect?: WireConnector,
  ): Promise<{ conn: RpcConnection; identity: Promise<Record<string, unknown>> }> {
    const socket = await (connect ?? leanTcpConnector() ?? (await netConnector()))(port, timeoutMs);
    const conn = new RpcConnection(socket);
    const identity = conn.holdAuth(() => conn.call<Record<string, unknown>>(AUTH_METHOD, { token }, { timeoutMs }));
    identity.catch(() => conn.close());
    return { conn, identity };
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  call<R = unknown>(method: string, params: unknown = {}, opts: CallOptions<any> = {}): Promise<R> {
    if (this.closedError) return Promise.reject(this.closedError);
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => {
        this.pending.delete(id);
        reject(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('aborted'));
      };
      const cleanup = () => {
        if (timer) clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
      };
      if (opts.timeoutMs) {
        timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new RpcError(ErrorCode.Cancelled, `${method}: no answer within ${opts.timeoutMs} ms`));
        }, opts.timeoutMs);
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress: opts.onProgress, cleanup });
      this.send(encodeMessage({ jsonrpc: '2.0', id, method, params }));
    });
  }

  /** The token of a pipelined open waits in the socket's buffer for the first call, so
   *  the two leave in one write (noDelay would make them two segments, each a system call
   *  and a wake-up of the daemon). Released by that call, at once, or after this turn's
   *  promise jobs if no call comes: a call never waits for anything but its own write. */
  private holdAuth<T>(sendAuth: () => T): T {
    this.socket.cork();
    const sent = sendAuth();
    this.authHeld = true;
    setImmediate(() => this.releaseAuth());
    return sent;
  }

  private releaseAuth(): void {
    if (!this.authHeld) return;
    this.authHeld = false;
    this.socket.uncork();
  }

  private send(bytes: string): void {
    this.socket.write(bytes);
    this.releaseAuth();
  }

  close(): void {
    this.socket.destroy();
  }

  private onLine(line: string): void {
    const msg = parseMessage(line);
    if (msg.kind === 'notification') {
      if (msg.msg.method === NOTIFY_PROGRESS) {
        const p = msg.msg.params as ProgressNotification;
        this.pending.get(p?.requestId)?.onProgress?.(p.event);
      }
      return;
    }
    if (msg.kind === 'invalid') {
      // A daemon-level error not tied to one of our ids (e.g. message too large).
      if (msg.id !== null) this.settle(msg.id, undefined, msg.error);
      return;
    }
    if (msg.kind !== 'response') return;
    const r = msg.msg;
    if (r.id === null) {
      const err = 'error' in r ? RpcError.from(r.error) : new RpcError(ErrorCode.InternalError, 'bad response');
      for (const id of [...this.pending.keys()]) this.settle(id, undefined, err);
      return;
    }
    if ('error' in r) this.settle(r.id, undefined, RpcError.from(r.error));
    else this.settle(r.id, r.result);
  }

  private settle(id: JsonRpcId, result: unknown, error?: Error): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    p.cleanup();
    if (error) p.reject(error);
    else p.resolve(result);
  }

  private fail(err: Error): void {
    if (this.closedError) return;
    this.closedError = err;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.cleanup();
      p.reject(err);
    }
  }
}

/** node:net's connection, loaded on first use: a daemon has it loaded already, the CLI's
 *  build never needs it. */
async function netConnector(): Promise<WireConnector> {
  return (await import('./net-tcp.js')).connectNet;
}
