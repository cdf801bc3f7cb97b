// A stored compile result: the object exactly as the compiler wrote it, the
// depfile text, and the compiler's stderr (warnings are replayed on a hit).

import { CorruptEntryError, decodeBlob, encodeBlob } from './blob.js';
import type { TieredStore } from './tiered-store.js';

export interface StoredResult {
  object: Buffer;
  /** Depfile text as written, its first rule's target being `depfileTarget`. */
  depfile: string;
  depfileTarget: string;
  stderr: string;
  createdMs: number;
  /** The depfile's headers (its prerequisites after the source), so a hit need not
   *  parse the depfile to report them; absent in results written without them. */
  headers?: string[];
}

export function encodeResult(r: StoredResult): Buffer {
  return encodeBlob(
    {
      kind: 'compile-result',
      v: 1,
      depfile: r.depfile,
      depfile_target: r.depfileTarget,
      stderr: r.stderr,
      created_ms: r.createdMs,
      ...(r.headers ? { headers: r.headers } : {}),
    },
    r.object,
  );
}

export function decodeResult(data: Buffer): StoredResult {
  const { header: h, payload } = decodeBlob(data);
  if (h.kind !== 'compile-result' || h.v !== 1 || typeof h.depfile !== 'string' || typeof h.depfile_target !== 'string' || typeof h.stderr !== 'string') {
    throw new CorruptEntryError('not a compile result');
  }
  if (payload.length === 0) throw new CorruptEntryError('empty object in a compile result');
  const r: StoredResult = {
    object: payload,
    depfile: h.depfile,
    depfileTarget: h.depfile_target,
    stderr: h.stderr,
    createdMs: typeof h.created_ms === 'number' ? h.created_ms : 0,
  };
  if (Array.isArray(h.headers) && h.headers.every((x) => typeof x === 'string')) r.headers = h.headers as string[];
  return r;
}

/** The result stored under `key`, or null; one not in our format is discarded (a miss). */
export async function loadResult(store: TieredStore, key: string): Promise<StoredResult | null> {
  const data = await store.get('result', key);
  if (!data) return null;
  try {
    return decodeResult(data);
  } catch (e) {
    if (!(e instanceof CorruptEntryError)) throw e;
    await store.discard('result', key, e.message);
    return null;
  }
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
