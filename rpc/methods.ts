// Method tables: one place that names each method of a server, checks its params
// and types its result (and the progress events it streams). The server's dispatch
// and the caller's proxy are both derived from a table, so a method name is written
// once and a handler or a call that does not match it fails to type-check.
//
// The params checks are small runtime checks: the types say what a method takes,
// these make a server refuse anything else with InvalidParams instead of crashing on
// it. Each check also carries, as a type only, what a caller may send (`In`): a param
// with a default is optional to the caller and always there for the handler.
// (One module with the tables on purpose: it is loaded on every build's path.)
import type { CallOptions } from './client.js';
import { RpcErrorCode } from './error-codes.js';
import { RpcError } from './jsonrpc.js';
import type { CallContext, MethodMap } from './server.js';

declare const input: unique symbol;

/** Returns the checked value (T); a caller sends In. */
export type Check<T, In = T> = ((value: unknown, path: string) => T) & { readonly [input]?: [In] };

/** What a caller may send for a check. */
export type CheckInput<C> = C extends { readonly [input]?: [infer I] } ? I : never;

function bad(path: string, what: string): never {
  throw new RpcError(RpcErrorCode.InvalidParams, `invalid params: ${path} must be ${what}`);
}

export const str: Check<string> = (v, p) => (typeof v === 'string' ? v : bad(p, 'a string'));
export const bool: Check<boolean> = (v, p) => (typeof v === 'boolean' ? v : bad(p, 'a boolean'));
export const int: Check<number> = (v, p) => (Number.isInteger(v) ? (v as number) : bad(p, 'an integer'));
export const nonNegInt: Check<number> = (v, p) => (Number.isInteger(v) && (v as number) >= 0 ? (v as number) : bad(p, 'a non-negative integer'));

export function optional<T, In>(check: Check<T, In>, fallback: T): Check<T, In | undefined> {
  return (v, p) => (v === undefined || v === null ? fallback : check(v, p));
}

export function maybe<T, In>(check: Check<T, In>): Check<T | undefined, In | undefined> {
  return (v, p) => (v === undefined || v === null ? undefined : check(v, p));
}

export function arrayOf<T, In>(check: Check<T, In>): Check<T[], In[]> {
  return (v, p) => (Array.isArray(v) ? v.map((x, i) => check(x, `${p}[${i}]`)) : bad(p, 'an array'));
}

export function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (v, p) => (typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : bad(p, `one of ${values.join(', ')}`));
}

/** Anything JSON: for payloads another layer validates. */
export const any: Check<unknown> = (v) => v;

type Shape = Record<string, Check<unknown, any>>;
type Out<S extends Shape> = { [K in keyof S]: ReturnType<S[K]> };
type OptionalKeys<S extends Shape> = { [K in keyof S]: undefined extends CheckInput<S[K]> ? K : never }[keyof S];
type In<S extends Shape> = { [K in Exclude<keyof S, OptionalKeys<S>>]: CheckInput<S[K]> } & { [K in OptionalKeys<S>]?: CheckInput<S[K]> };

/** An object with exactly these keys (unknown keys are refused: a typo should not pass silently). */
export function obj<S extends Shape>(shape: S): Check<Out<S>, In<S>> {
  return (v, p) => {
    if (v === undefined || v === null) v = {};
    if (typeof v !== 'object' || Array.isArray(v)) bad(p, 'an object');
    const rec = v as Record<string, unknown>;
    for (const k of Object.keys(rec)) if (!(k in shape)) bad(`${p}.${k}`, 'absent (unknown parameter)');
    const out: Record<string, unknown> = {};
    for (const [k, check] of Object.entries(shape)) out[k] = check(rec[k], `${p}.${k}`);
    return out as Out<S>;
  };
}

export const noParams = obj({});

// ---------------------------------------------------------------- tables

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
