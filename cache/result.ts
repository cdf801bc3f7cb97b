// A stored compile result: the object exactly as the compiler wrote it, the
// depfile text, and the compiler's stderr (warnings are replayed on a hit).
//
// Two forms. v1, what every tier but the local one keeps (and what older local caches
// hold): one blob, a JSON header with the object as its payload. v2, the local tier's:
// the header alone, naming the object by its integrity and size, while the object's
// bytes are a content file of their own (an "object" entry under the same key,
// result-store.ts), so a hit copies them in the kernel instead of reading them into JS.

import { CorruptEntryError, decodeBlob, encodeBlob } from './blob.js';

/** What a stored result says besides its object. */
export interface ResultMeta {
  /** Depfile text as written, its first rule's target being `depfileTarget`. */
  depfile: string;
  depfileTarget: string;
  stderr: string;
  createdMs: number;
  /** The depfile's headers (its prerequisites after the source), so a hit need not
   *  parse the depfile to report them; absent in results written without them. */
  headers?: string[];
}

/** A result with its object's bytes: what a compile produced, or a v1 blob. */
export interface StoredResult extends ResultMeta {
  object: Buffer;
}

/** Where a v2 result's object is: cacache content named by this integrity, this long. */
export interface ObjectRef {
  integrity: string;
  size: number;
}

/** A result as read back: its object's bytes (v1) or where they are (v2). */
export type LoadedResult = ResultMeta & ({ object: Buffer; objectRef?: undefined } | { objectRef: ObjectRef; object?: undefined });

function metaFields(r: ResultMeta): Record<string, unknown> {
  return {
    kind: 'compile-result',
    depfile: r.depfile,
    depfile_target: r.depfileTarget,
    stderr: r.stderr,
    created_ms: r.createdMs,
    ...(r.headers ? { headers: r.headers } : {}),
  };
}

/** The v1 blob: header and object together. */
export function encodeResult(r: StoredResult): Buffer {
  return encodeBlob({ ...metaFields(r), v: 1 }, r.object);
}

/** The v2 header: the object is `ref`, stored apart. */
export function encodeResultHeader(r: ResultMeta, ref: ObjectRef): Buffer {
  return encodeBlob({ ...metaFields(r), v: 2, object: { integrity: ref.integrity, size: ref.size } });
}

/** A v1 blob (its object included). */
export function decodeResult(data: Buffer): StoredResult {
  const r = decodeAnyResult(data);
  if (!r.object) throw new CorruptEntryError('a compile result without its object');
  return r as StoredResult;
}

/** Either form. */
export function decodeAnyResult(data: Buffer): LoadedResult {
  const { header: h, payload } = decodeBlob(data);
  if (h.kind !== 'compile-result' || (h.v !== 1 && h.v !== 2) || typeof h.depfile !== 'string' || typeof h.depfile_target !== 'string' || typeof h.stderr !== 'string') {
    throw new CorruptEntryError('not a compile result');
  }
  const meta: ResultMeta = {
    depfile: h.depfile,
    depfileTarget: h.depfile_target,
    stderr: h.stderr,
    createdMs: typeof h.created_ms === 'number' ? h.created_ms : 0,
  };
  if (Array.isArray(h.headers) && h.headers.every((x) => typeof x === 'string')) meta.headers = h.headers as string[];
  if (h.v === 1) {
    if (payload.length === 0) throw new CorruptEntryError('empty object in a compile result');
    return { ...meta, object: payload };
  }
  const o = h.object as Record<string, unknown> | null | undefined;
  if (payload.length !== 0 || typeof o !== 'object' || o === null || typeof o.integrity !== 'string' || typeof o.size !== 'number' || !(o.size > 0)) {
    throw new CorruptEntryError('a compile result header without a valid object reference');
  }
  return { ...meta, objectRef: { integrity: o.integrity, size: o.size } };
}

/** Make's escaping for a prerequisite name, as gcc writes it. */
function escapeMake(name: string): string {
  return name.replace(/([ #])/g, '\\$1').replace(/\$/g, '$$$$');
}

/**
 * The depfile as the compiler would have written it for `newTarget`. The runner
 * passes the object path to -MT verbatim, so the first rule starts with that text;
 * anything else (hand-edited? a compiler that escapes) is rebuilt from the parse.
 */
export function retargetDepfile(
  text: string,
  oldTarget: string,
  newTarget: string,
  parse: (text: string) => { prereqs: string[] },
): string {
  if (oldTarget === newTarget) return text;
  if (text.startsWith(`${oldTarget}:`)) return newTarget + text.slice(oldTarget.length);
  const { prereqs } = parse(text);
  return `${newTarget}: ${prereqs.map(escapeMake).join(' \\\n ')}\n`;
}
