// Small runtime checks for RPC params: the types say what a method takes, these
// make a server refuse anything else with InvalidParams instead of crashing on it.
// Each check also carries, as a type only, what a caller may send (`In`): a param
// with a default is optional to the caller and always there for the handler.
import { RpcErrorCode } from './error-codes.js';
import { RpcError } from './jsonrpc.js';

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
