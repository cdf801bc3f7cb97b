// JSON-RPC 2.0 envelopes: classify an incoming line, and build replies.
import { RpcErrorCode as ErrorCode } from './error-codes.js';

export type JsonRpcId = number | string;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: unknown;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: unknown;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcSuccess {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: unknown;
}

export interface JsonRpcFailure {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcSuccess | JsonRpcFailure;

/** The first request on every connection; the server answers nothing else before it. */
export const AUTH_METHOD = 'auth';

/** Sent by a server for streamed progress of a long request; requestId ties it to the call. */
export const NOTIFY_PROGRESS = 'progress';
export interface ProgressNotification<T = unknown> {
  requestId: JsonRpcId;
  event: T;
}

/** An error that crosses the wire as a JSON-RPC error object. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    // A cancelled request reads as an abort, as a DOM AbortError does, so the code that
    // tells cancellation from failure by name handles a remote one too.
    this.name = code === ErrorCode.Cancelled ? 'AbortError' : 'RpcError';
  }

  toObject(): JsonRpcErrorObject {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  static from(obj: JsonRpcErrorObject): RpcError {
    return new RpcError(obj.code, obj.message, obj.data);
  }
}

/** `err` as it crosses the wire: an RpcError as it is, a cancellation (an AbortError) as
 *  Cancelled, which the caller reads as an abort again, anything else as an internal
 *  error of `what`; `internal`: the last kind, which the server logs. */
export function wireError(err: unknown, what: string): { error: RpcError; internal: boolean } {
  if (err instanceof RpcError) return { error: err, internal: false };
  if (err instanceof Error && err.name === 'AbortError') return { error: new RpcError(ErrorCode.Cancelled, err.message), internal: false };
  const message = err instanceof Error ? err.message : String(err);
  return { error: new RpcError(ErrorCode.InternalError, `internal error in ${what}: ${message}`), internal: true };
}

export type Incoming =
  | { kind: 'request'; msg: JsonRpcRequest }
  | { kind: 'notification'; msg: JsonRpcNotification }
  | { kind: 'response'; msg: JsonRpcResponse }
  | { kind: 'invalid'; id: JsonRpcId | null; error: RpcError };

function isId(v: unknown): v is JsonRpcId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

export function parseMessage(line: string): Incoming {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { kind: 'invalid', id: null, error: new RpcError(ErrorCode.ParseError, `parse error: ${(e as Error).message}`) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { kind: 'invalid', id: null, error: new RpcError(ErrorCode.InvalidRequest, 'invalid request: expected a JSON object (batches are not supported)') };
  }
  const m = value as Record<string, unknown>;
  const id = isId(m.id) ? m.id : null;
  if (m.jsonrpc !== '2.0') {
    return { kind: 'invalid', id, error: new RpcError(ErrorCode.InvalidRequest, 'invalid request: "jsonrpc" must be "2.0"') };
  }
  if ('result' in m || 'error' in m) {
    if (id === null && m.id !== null) {
      return { kind: 'invalid', id: null, error: new RpcError(ErrorCode.InvalidRequest, 'invalid response: bad "id"') };
    }
    return { kind: 'response', msg: m as unknown as JsonRpcResponse };
  }
  if (typeof m.method !== 'string' || m.method === '') {
    return { kind: 'invalid', id, error: new RpcError(ErrorCode.InvalidRequest, 'invalid request: "method" must be a non-empty string') };
  }
  if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null)) {
    return { kind: 'invalid', id, error: new RpcError(ErrorCode.InvalidRequest, 'invalid request: "params" must be an object or array') };
  }
  if (!('id' in m)) return { kind: 'notification', msg: m as unknown as JsonRpcNotification };
  if (id === null) {
    return { kind: 'invalid', id: null, error: new RpcError(ErrorCode.InvalidRequest, 'invalid request: "id" must be a string or number') };
  }
  return { kind: 'request', msg: { jsonrpc: '2.0', id, method: m.method, params: m.params } };
}

export function success(id: JsonRpcId, result: unknown): JsonRpcSuccess {
  return { jsonrpc: '2.0', id, result: result === undefined ? null : result };
}

export function failure(id: JsonRpcId | null, err: RpcError): JsonRpcFailure {
  return { jsonrpc: '2.0', id, error: err.toObject() };
}

export function notification(method: string, params: unknown): JsonRpcNotification {
  return { jsonrpc: '2.0', method, params };
}
