// Method tables: one place that names each method of a server, checks its params
// and types its result (and the progress events it streams). The server's dispatch
// and the caller's proxy are both derived from a table, so a method name is written
// once and a handler or a call that does not match it fails to type-check.
import type { CallOptions } from './client.js';
import type { Check } from './params.js';
import type { CallContext, MethodMap } from './server.js';

/** A method: its params check; its result and progress event types ride along as types only. */
export interface MethodSpec<P = any, In = any, R = any, E = any> {
  readonly params: Check<P, In>;
  /** Never set: carries the types. */
  readonly types?: { result: R; event: E };
}

export type MethodTable = Record<string, MethodSpec>;

declare const phantom: unique symbol;
/** A type carried by a table entry, with no value. */
export interface Phantom<T> {
  readonly [phantom]?: T;
}

/** The result type of a method: `returns<CompileResult>()`. */
export function returns<R>(): Phantom<R> {
  return {};
}

/** The type of the progress events a method streams before its result. */
export function streams<E>(): Phantom<E> {
  return {};
}

export function spec<P, In, R, E = never>(params: Check<P, In>, _result: Phantom<R>, _events?: Phantom<E>): MethodSpec<P, In, R, E> {
  return { params };
}

export type ParamsOf<S> = S extends MethodSpec<infer P, any, any, any> ? P : never;
export type InputOf<S> = S extends MethodSpec<any, infer I, any, any> ? I : never;
export type ResultOf<S> = S extends MethodSpec<any, any, infer R, any> ? R : never;
export type EventOf<S> = S extends MethodSpec<any, any, any, infer E> ? E : never;

/** A handler for every method of the table, and nothing else. */
export type Handlers<T extends MethodTable> = {
  [K in keyof T]: (params: ParamsOf<T[K]>, ctx: CallContext<EventOf<T[K]>>) => ResultOf<T[K]> | Promise<ResultOf<T[K]>>;
};

/** The server's method map for a table. */
export function serve<T extends MethodTable>(table: T, handlers: Handlers<T>): MethodMap {
  const map: MethodMap = {};
  for (const name of Object.keys(table)) map[name] = { params: table[name].params, handle: handlers[name] as MethodMap[string]['handle'] };
  return map;
}

/** What a proxy sends its calls through: a connection, or a channel that reconnects. */
export interface Caller {
  call(method: string, params: unknown, opts?: CallOptions<any>): Promise<unknown>;
}

type ProxyMethod<S> = {} extends InputOf<S>
  ? (params?: InputOf<S>, opts?: CallOptions<EventOf<S>>) => Promise<ResultOf<S>>
  : (params: InputOf<S>, opts?: CallOptions<EventOf<S>>) => Promise<ResultOf<S>>;

export type Proxy<T extends MethodTable> = { readonly [K in keyof T]: ProxyMethod<T[K]> };

/** Typed calls of a table's methods through `caller`. Made once per caller: a call
 *  costs what `caller.call` costs, nothing more. */
export function proxy<T extends MethodTable>(table: T, caller: Caller): Proxy<T> {
  const out: Record<string, (params?: unknown, opts?: CallOptions<any>) => Promise<unknown>> = {};
  for (const name of Object.keys(table)) out[name] = (params = {}, opts) => caller.call(name, params, opts);
  return out as unknown as Proxy<T>;
}
