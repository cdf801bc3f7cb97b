// An object record as the build state keeps it in memory, one per TU for the life of the
// daemon. Its fields live in the object itself: the record a build made went through
// spreads that added fields (`search`), and each such addition past a literal's own
// fields costs the object a property array (39 bytes a record at 5,000 TUs). A class
// constructor's objects get room for every field its body assigns.
import type { FileHashRecord, ObjectRecord } from './build-state.js';

export class StoredObjectRecord implements ObjectRecord {
  command_hash: string;
  declare compiler_id?: string;
  source: string;
  source_hash: string;
  headers: FileHashRecord[];
  declare object_hash?: string;
  declare search?: string;
  declare shadow_skip?: string[];
  declare compile_ms?: number;
  declare pch_rejected?: true;
  declare pch_ms?: number;
  declare plain_ms?: number;

  /** `r`'s fields (those it has: an absent one stays absent), with `headers` and `search` in place of its own. */
  constructor(r: ObjectRecord, headers: FileHashRecord[], search: string | undefined) {
    this.command_hash = r.command_hash;
    if (r.compiler_id !== undefined) this.compiler_id = r.compiler_id;
    this.source = r.source;
    this.source_hash = r.source_hash;
    this.headers = headers;
    if (r.object_hash !== undefined) this.object_hash = r.object_hash;
    if (search !== undefined) this.search = search;
    if (r.shadow_skip !== undefined) this.shadow_skip = r.shadow_skip;
    if (r.compile_ms !== undefined) this.compile_ms = r.compile_ms;
    if (r.pch_rejected !== undefined) this.pch_rejected = r.pch_rejected;
    if (r.pch_ms !== undefined) this.pch_ms = r.pch_ms;
    if (r.plain_ms !== undefined) this.plain_ms = r.plain_ms;
  }
}
