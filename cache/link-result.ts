// A stored link result: the linked output (an executable, a shared library or an
// archive) exactly as the tool wrote it, and the tool's stderr.
//
// Two forms, as for compile results (result.ts). v1, what every tier but the local one
// keeps (and what older local caches hold): one blob, a JSON header with the output as
// its payload. v2, the local tier's: the header alone, naming the output by its
// integrity and size, while the output's bytes are a content file of their own (an
// "object" entry under the link's key, stored-objects.ts), so a hit copies them in the
// kernel instead of reading, hashing and writing them through JS.

import { CorruptEntryError, decodeBlob, encodeBlob } from './blob.js';
import type { ObjectRef } from './result.js';

/** A link result as read back: its output's bytes (v1) or where they are (v2), with
 *  their sha256 (hex), the content hash the build state records for the output. */
export type LoadedLink = { stderr: string } & ({ output: Buffer; outputRef?: undefined } | { outputRef: ObjectRef; sha256: string; output?: undefined });

/** The v1 blob: header and output together. */
export function encodeLink(stderr: string, output: Buffer): Buffer {
  return encodeBlob({ kind: 'link-result', v: 1, stderr }, output);
}

/** The v2 header: the output is `ref`, stored apart; `sha256` spares the build reading
 *  a restored output to record it. */
export function encodeLinkHeader(stderr: string, ref: ObjectRef, sha256: string): Buffer {
  return encodeBlob({ kind: 'link-result', v: 2, stderr, output: { integrity: ref.integrity, size: ref.size, sha256 } });
}

/** Either form. */
export function decodeLink(data: Buffer): LoadedLink {
  const { header: h, payload } = decodeBlob(data);
  if (h.kind !== 'link-result' || (h.v !== 1 && h.v !== 2) || typeof h.stderr !== 'string') throw new CorruptEntryError('not a link result');
  if (h.v === 1) {
    if (payload.length === 0) throw new CorruptEntryError('empty output in a link result');
    return { stderr: h.stderr, output: payload };
  }
  const o = h.output as Record<string, unknown> | null | undefined;
  if (
    payload.length !== 0 || typeof o !== 'object' || o === null || typeof o.integrity !== 'string' || typeof o.size !== 'number' || !(o.size > 0) ||
    typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)
  ) {
    throw new CorruptEntryError('a link result header without a valid output reference');
  }
  return { stderr: h.stderr, outputRef: { integrity: o.integrity, size: o.size }, sha256: o.sha256 };
}
