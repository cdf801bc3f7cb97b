// Entries of the local tier whose bytes are a content file of their own: a compile
// result's object (result-store.ts) and a link result's output (link-cache.ts). The
// header entry ("result" or "link") names the bytes by their integrity and size; the
// bytes are an "object" entry under the same key. The object is stored first, so a
// header never points at nothing, and both go together (cleanup.ts evicts them as a
// pair). A restore writes the bytes or copies the content file in the kernel, by the
// integrity rule of object-files.ts.

import { writeFileSync } from 'node:fs';
import { ObjectFiles } from './object-files.js';
import type { ObjectRef } from './result.js';
import type { LocalTier } from './tiers/local.js';

/** The header kinds whose bytes live in an "object" entry under their key. */
export type OwnerKind = 'result' | 'link';

/** How a restore writes an object to a path (which it creates or truncates): `path` is
 *  the content file a kernel copy reads (null for checked bytes written from memory). */
export type ObjectWriter = { write: (to: string) => void; path: string | null } | { missing: string } | { corrupt: string };

export class StoredObjects {
  readonly files: ObjectFiles;

  constructor(
    private readonly local: LocalTier,
    /** Stamps younger than this many ms are not remembered as checked (object-files.ts). */
    racyWindowMs: number,
  ) {
    this.files = new ObjectFiles(local.dir, racyWindowMs);
  }

  /** Stores `bytes` as the object of (kind, key), then the header `headerFor` makes for
   *  it. Resolves once the local tier has both. With `onReplaced`, the content file is
   *  checked (object-files.ts' rule) before the header points at it: cacache never
   *  overwrites content already there under the same integrity, so a damaged file would
   *  otherwise be kept by this store. A bad one is removed, stored anew and reported. */
  async save(kind: OwnerKind, key: string, bytes: Buffer, headerFor: (ref: ObjectRef) => Buffer, onReplaced?: (why: string) => void): Promise<ObjectRef> {
    let ref = await this.putObject(kind, key, bytes);
    const c = onReplaced ? this.files.check(ref) : null;
    if (c && !('path' in c)) {
      await this.local.remove('object', key, true);
      ref = await this.putObject(kind, key, bytes);
      onReplaced!('corrupt' in c ? c.corrupt : c.missing);
    }
    await this.local.put(kind, key, headerFor(ref));
    return ref;
  }

  private async putObject(kind: OwnerKind, key: string, bytes: Buffer): Promise<ObjectRef> {
    const put = await this.local.putLocated('object', key, bytes);
    if (!put) throw new Error(`the object of ${kind} ${key.slice(0, 12)} was not found right after it was stored`);
    return { integrity: put.integrity, size: bytes.length };
  }

  /** What a restore of `ref` writes from, checked by the integrity rule. */
  writer(ref: ObjectRef): ObjectWriter {
    const src = this.files.source(ref);
    if ('bytes' in src) {
      const bytes = src.bytes;
      return { write: (to) => writeFileSync(to, bytes), path: null };
    }
    if (!('path' in src)) return src;
    const from = src.path;
    return { write: (to) => this.files.copy(from, to), path: from };
  }

  /** The content file a writer copied from was found gone while copying. */
  gone(path: string | null): void {
    if (path !== null) this.files.forget(path);
  }

  /** Removes the header (kind, key), its object and their content. */
  async drop(kind: OwnerKind, key: string): Promise<void> {
    await this.local.remove(kind, key, true);
    await this.local.remove('object', key, true);
  }
}
