// The JSON-RPC server every daemon runs: line framing, token authentication,
// dispatch to typed handlers, streamed notifications. It knows nothing of what
// the methods do; a daemon's service supplies them (methods.ts builds them from a table).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { AuthGate } from './auth-gate.js';
import { RpcErrorCode as ErrorCode } from './error-codes.js';
import { LineDecoder, MAX_LINE_BYTES, encodeMessage } from './framing.js';
import { AUTH_METHOD, NOTIFY_PROGRESS, RpcError, failure, notification, parseMessage, success, wireError, type JsonRpcId } from './jsonrpc.js';
import { type Check, obj, str } from './methods.js';

export interface CallContext<E = unknown> {
  requestId: JsonRpcId;
  /** Stream a progress event of this request to the caller (its onProgress). */
  progress(event: E): void;
  /** Aborted when the caller's connection closes. */
  signal: AbortSignal;
}

export interface MethodDef<P = any, R = any> {
  params: Check<P, any>;
  handle(params: P, ctx: CallContext<any>): R | Promise<R>;
}

export function method<P, R>(params: Check<P, any>, handle: (params: P, ctx: CallContext) => R | Promise<R>): MethodDef<P, R> {
  return { params, handle };
}

export type MethodMap = Record<string, MethodDef>;

export interface RpcServerOptions {
  token: string;
  methods: MethodMap;
  /** What `auth` answers, so a client knows whom it reached. */
  identity: Record<string, unknown>;
  /** Longest line once authenticated (default MAX_LINE_BYTES). */
  maxLineBytes?: number;
  /** Longest line before authentication: the auth message is a few hundred bytes, and
   *  nothing more may be buffered for a peer that has not shown the token (default 4 KiB). */
  maxAuthLineBytes?: number;
  /** Connections that may be open besides the unauthenticated ones (default 256). */
  maxConnections?: number;
  /** Unauthenticated connections held at once (default 32); see AuthGate. */
  maxUnauthenticated?: number;
  /** A connection must authenticate within this many ms of connecting (default 1000). */
  authDeadlineMs?: number;
  onError?(message: string): void;
  /** After each request has been answered (or failed). */
  onSettled?(): void;
  /** Methods that park until something happens (a long poll): not work in flight. */
  parkedMethods?: ReadonlySet<string>;
}

const authParams = obj({ token: str });

export const DEFAULT_MAX_AUTH_LINE_BYTES = 4096;
export const DEFAULT_MAX_UNAUTHENTICATED = 32;
export const DEFAULT_AUTH_DEADLINE_MS = 1000;

export class RpcServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly token: Buffer;
  private readonly gate: AuthGate;
  requestsServed = 0;
  connectionsTotal = 0;
  /** Requests being worked on now (a build's compile batch lasts the whole build); parked
   *  ones (RpcServerOptions.parkedMethods) aside. */
  requestsInFlight = 0;

  constructor(private readonly opts: RpcServerOptions) {
    this.token = Buffer.from(opts.token, 'utf8');
    this.gate = new AuthGate({
      deadlineMs: opts.authDeadlineMs ?? DEFAULT_AUTH_DEADLINE_MS,
      maxWaiting: opts.maxUnauthenticated ?? DEFAULT_MAX_UNAUTHENTICATED,
    });
  }

  /** Unauthenticated connections closed so far, by cause. */
  get unauthenticatedDropped(): { deadline: number; evicted: number } {
    return { ...this.gate.dropped };
  }

  get openConnections(): number {
    return this.sockets.size;
  }

  /** Listen on 127.0.0.1 only; port 0 = any free port. Resolves to the bound port. */
  listen(port: number): Promise<number> {
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    // Node's cap counts every socket; the gate keeps unauthenticated ones to
    // their own small share, so they can never use up the authenticated clients' room.
    server.maxConnections = (this.opts.maxConnections ?? 256) + (this.opts.maxUnauthenticated ?? DEFAULT_MAX_UNAUTHENTICATED);
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
        server.off('error', reject);
        const addr = server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private checkToken(given: string): boolean {
    const b = Buffer.from(given, 'utf8');
    return b.length === this.token.length && timingSafeEqual(b, this.token);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    this.connectionsTotal++;
    this.gate.admit(socket);
    const maxAuthLine = this.opts.maxAuthLineBytes ?? DEFAULT_MAX_AUTH_LINE_BYTES;
    const maxLine = this.opts.maxLineBytes ?? MAX_LINE_BYTES;
    const decoder = new LineDecoder(maxAuthLine);
    const inflight = new Set<AbortController>();
    let authed = false;
    let closing = false;

    // Messages sent in one turn of the event loop (an answer and the notifications before
    // it, the starts and results of a batch's cache hits, whose I/O completes in the same
    // poll) leave in one write: each write to a socket is a system call that also wakes
    // the reader.
    let corked = false;
    const send = (msg: unknown) => {
      if (socket.destroyed || !socket.writable) return;
      if (!corked) {
        corked = true;
        socket.cork();
        setImmediate(() => {
          corked = false;
          socket.uncork();
        });
      }
      socket.write(encodeMessage(msg));
    };
    // Before authentication any error ends the connection: an unauthenticated
    // peer gets one answer and nothing more.
    const reject = (id: JsonRpcId | null, err: RpcError) => {
      send(failure(id, err));
      if (!authed) {
        closing = true;
        socket.end();
      }
    };

    socket.on('data', (chunk: Buffer) => {
      if (closing) return;
      for (const ev of decoder.feed(chunk)) {
        if (closing) return;
        if (ev.kind === 'overflow') {
          reject(null, new RpcError(ErrorCode.MessageTooLarge, `message too large: a line of ${ev.bytes} bytes exceeds the ${decoder.maxLineBytes}-byte limit`));
          continue;
        }
        const msg = parseMessage(ev.line);
        if (msg.kind === 'invalid') {
          reject(msg.id, msg.error);
          continue;
        }
        if (msg.kind === 'response' || msg.kind === 'notification') {
          // Clients send us no responses and we take no notifications; ignore after auth.
          if (!authed) reject(null, new RpcError(ErrorCode.Unauthorized, 'unauthorized: authenticate first with {"method":"auth","params":{"token":...}}'));
          continue;
        }
        const req = msg.msg;
        if (!authed) {
          if (req.method !== AUTH_METHOD) {
            reject(req.id, new RpcError(ErrorCode.Unauthorized, 'unauthorized: authenticate first with {"method":"auth","params":{"token":...}} (the token is in .replibuild/pids/token)'));
            continue;
          }
          let token: string;
          try {
            token = authParams(req.params, 'params').token;
          } catch (e) {
            reject(req.id, e as RpcError);
            continue;
          }
          if (!this.checkToken(token)) {
            reject(req.id, new RpcError(ErrorCode.Unauthorized, 'unauthorized: wrong token (run `replibuild start` in this project to get one)'));
            continue;
          }
          authed = true;
          this.gate.release(socket);
          decoder.maxLineBytes = maxLine;
          send(success(req.id, this.opts.identity));
          continue;
        }
        this.dispatch(req.id, req.method, req.params, send, inflight);
      }
      // An unauthenticated peer is not waited on for the end of a long line: what it
      // sent past the small bound is not kept, and it is told and closed now.
      if (!authed && !closing && decoder.overflowing) {
        reject(null, new RpcError(ErrorCode.MessageTooLarge, `message too large: the first line must be the auth request, at most ${maxAuthLine} bytes`));
      }
    });
    socket.on('error', () => {
      /* peer reset: nothing to answer; close handles cleanup */
    });
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.gate.release(socket);
      for (const ac of inflight) ac.abort(new Error('connection closed'));
    });
  }

  private dispatch(id: JsonRpcId, name: string, rawParams: unknown, send: (m: unknown) => void, inflight: Set<AbortController>): void {
    const def = Object.prototype.hasOwnProperty.call(this.opts.methods, name) ? this.opts.methods[name] : undefined;
    if (!def) {
      send(failure(id, new RpcError(ErrorCode.MethodNotFound, `method not found: ${name}`)));
      return;
    }
    const ac = new AbortController();
    inflight.add(ac);
    const ctx: CallContext = {
      requestId: id,
      signal: ac.signal,
      progress: (event) => send(notification(NOTIFY_PROGRESS, { requestId: id, event })),
    };
    this.requestsServed++;
    const working = !this.opts.parkedMethods?.has(name);
    if (working) this.requestsInFlight++;
    Promise.resolve()
      .then(() => def.handle(def.params(rawParams, 'params'), ctx))
      .then(
        (result) => send(success(id, result)),
        (err: unknown) => {
          const { error, internal } = wireError(err, name);
          if (internal) this.opts.onError?.(`${name}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
          send(failure(id, error));
        },
      )
      .finally(() => {
        inflight.delete(ac);
        if (working) this.requestsInFlight--;
        this.opts.onSettled?.();
      });
  }
}
