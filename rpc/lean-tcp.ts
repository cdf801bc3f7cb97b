// A TCP connection without node:net, for the CLI's build request. A no-op build is
// Node's start plus ~12 ms of the CLI's own, and loading node:net (with the thirty
// stream modules under it) is ~2.3 ms of that (CPU, `node -e 'require("net")'` against
// `node -e 0`, interleaved). This drives the libuv TCP handle net.Socket wraps, through
// the two bindings net itself uses (tcp_wrap, stream_wrap; process.binding hands both
// out without a warning), and offers the few socket calls an RpcConnection makes.
// They are Node's internals, so their shape is checked before the first use and the
// connection is node:net's wherever it differs (leanTcpConnector gives null).

import { EventEmitter } from 'node:events';
import { getSystemErrorName } from 'node:util';
import { connectTimeout, type RpcWire, type WireConnector } from './wire.js';

interface TcpHandle {
  connect(req: ConnectReq, address: string, port: number): number;
  readStart(): number;
  writeUtf8String(req: WriteReq, text: string): number;
  setNoDelay(on: boolean): number;
  close(cb?: () => void): void;
  /** Must always be a function: the binding asserts it (a null aborts the process). */
  onread: (buf: ArrayBuffer | undefined) => void;
}
interface ConnectReq {
  oncomplete: (status: number) => void;
}
interface WriteReq {
  handle: TcpHandle;
  oncomplete: (status: number) => void;
}
interface Bindings {
  newHandle(): TcpHandle;
  newConnectReq(): ConnectReq;
  newWriteReq(): WriteReq;
  /** Shared with the binding: a read's byte count (or error) and its offset. */
  state: Int32Array;
  kReadBytesOrError: number;
  kArrayBufferOffset: number;
  kLastWriteWasAsync: number;
}

/** The bindings as this code expects them, or null. */
function loadBindings(): Bindings | null {
  try {
    const binding = (process as unknown as { binding(name: string): Record<string, unknown> }).binding;
    const tcp = binding('tcp_wrap') as { TCP?: new (type: number) => TcpHandle; TCPConnectWrap?: new () => ConnectReq; constants?: { SOCKET?: number } };
    const stream = binding('stream_wrap') as {
      WriteWrap?: new () => WriteReq;
      streamBaseState?: unknown;
      kReadBytesOrError?: unknown;
      kArrayBufferOffset?: unknown;
      kLastWriteWasAsync?: unknown;
    };
    const { TCP, TCPConnectWrap, constants } = tcp;
    const { WriteWrap, streamBaseState, kReadBytesOrError, kArrayBufferOffset, kLastWriteWasAsync } = stream;
    if (typeof TCP !== 'function' || typeof TCPConnectWrap !== 'function' || typeof WriteWrap !== 'function') return null;
    if (typeof constants?.SOCKET !== 'number' || !(streamBaseState instanceof Int32Array)) return null;
    if (typeof kReadBytesOrError !== 'number' || typeof kArrayBufferOffset !== 'number' || typeof kLastWriteWasAsync !== 'number') return null;
    const socketType = constants.SOCKET;
    const proto = TCP.prototype as Partial<Record<keyof TcpHandle, unknown>>;
    if (!['connect', 'readStart', 'writeUtf8String', 'setNoDelay', 'close'].every((m) => typeof proto[m as keyof TcpHandle] === 'function')) return null;
    return {
      newHandle: () => new TCP(socketType),
      newConnectReq: () => new TCPConnectWrap(),
      newWriteReq: () => new WriteWrap(),
      state: streamBaseState,
      kReadBytesOrError,
      kArrayBufferOffset,
      kLastWriteWasAsync,
    };
  } catch {
    return null;
  }
}

let bindings: Bindings | null | undefined;

const ignoreRead = (): void => undefined;

/** Whether the bindings may be used here: on the Node major this was checked against
 *  (the tests in test/unit/lean-tcp.test.ts say whether another one behaves the same),
 *  not when Node was asked to warn of deprecated calls (process.binding is one), and not
 *  when REPLIBUILD_LEAN_TCP=0 asks for node:net. */
function mayUse(): boolean {
  if (process.env.REPLIBUILD_LEAN_TCP === '0' || process.versions.node.split('.')[0] !== '20') return false;
  const flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`;
  return !/--(pending|throw|trace)-deprecation/.test(flags);
}

/** Connects through the bindings; null where they are not as expected (then node:net). */
export function leanTcpConnector(): WireConnector | null {
  if (bindings === undefined) bindings = mayUse() ? loadBindings() : null;
  const b = bindings;
  return b && ((port, timeoutMs) => LeanTcp.connect(b, port, timeoutMs));
}

/** The error net would give for a failed system call: `connect ECONNREFUSED 127.0.0.1:9004`. */
function systemError(status: number, syscall: string, port: number): NodeJS.ErrnoException {
  const code = getSystemErrorName(status);
  const e: NodeJS.ErrnoException = new Error(`${syscall} ${code} 127.0.0.1:${port}`);
  e.code = code;
  e.errno = status;
  e.syscall = syscall;
  return e;
}

class LeanTcp extends EventEmitter implements RpcWire {
  private corked = 0;
  private held: string[] = [];
  private closed = false;
  /** Requests in flight, held so that nothing collects them before they complete. */
  private readonly inFlight = new Set<WriteReq>();

  private constructor(
    private readonly b: Bindings,
    private readonly handle: TcpHandle,
    private readonly port: number,
  ) {
    super();
  }

  static connect(b: Bindings, port: number, timeoutMs: number): Promise<LeanTcp> {
    return new Promise((resolve, reject) => {
      const handle = b.newHandle();
      const req = b.newConnectReq();
      // Settled once: a connect that completes after the timeout closed the handle (as
      // cancelled) finds it so. oncomplete stays a function: the binding calls it.
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        handle.close();
        reject(connectTimeout(port, timeoutMs));
      }, timeoutMs);
      const failed = (status: number) => {
        settled = true;
        clearTimeout(timer);
        handle.close();
        reject(systemError(status, 'connect', port));
      };
      req.oncomplete = (status) => {
        if (settled) return;
        if (status < 0) return failed(status);
        clearTimeout(timer);
        const wire = new LeanTcp(b, handle, port);
        const err = wire.start();
        if (err < 0) return failed(err);
        resolve(wire);
      };
      const err = handle.connect(req, '127.0.0.1', port);
      if (err < 0) failed(err);
    });
  }

  private start(): number {
    this.handle.setNoDelay(true);
    this.handle.onread = (buf) => {
      const n = this.b.state[this.b.kReadBytesOrError]!;
      if (n > 0 && buf) this.emit('data', Buffer.from(buf, this.b.state[this.b.kArrayBufferOffset]!, n));
      else if (n < 0) this.end(getSystemErrorName(n) === 'EOF' ? null : systemError(n, 'read', this.port));
    };
    return this.handle.readStart();
  }

  write(text: string): boolean {
    if (this.closed) return false;
    if (this.corked > 0) this.held.push(text);
    else this.send(text);
    return true;
  }

  cork(): void {
    this.corked++;
  }

  uncork(): void {
    if (this.corked === 0 || --this.corked > 0 || this.held.length === 0) return;
    const text = this.held.join('');
    this.held = [];
    this.send(text);
  }

  destroy(): void {
    this.end(null);
  }

  private send(text: string): void {
    const req = this.b.newWriteReq();
    req.handle = this.handle;
    req.oncomplete = (status) => {
      this.inFlight.delete(req);
      if (status < 0) this.end(systemError(status, 'write', this.port));
    };
    const err = this.handle.writeUtf8String(req, text);
    if (err < 0) this.end(systemError(err, 'write', this.port));
    // Done at once when the kernel took it all (oncomplete is then never called);
    // otherwise held until oncomplete or the close.
    else if (this.b.state[this.b.kLastWriteWasAsync]) this.inFlight.add(req);
  }

  /** Closes the handle once; then 'error' (if `e`) and 'close', as net.Socket does. */
  private end(e: Error | null): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.onread = ignoreRead;
    this.handle.close(() => {
      this.inFlight.clear();
      if (e) this.emit('error', e);
      this.emit('close');
    });
  }
}
