// Whether a compile's inputs are still what it read: a result is only stored when no
// input moved during the compile, and none changed so shortly before it that a second
// write in the same clock tick could hide behind the same stamp.

import type { NotStored } from './bookkeeping.js';
import { isRacy } from '../fs/racy.js';
import { sameStamp, statStampSync, type StatStamp } from '../fs/stat-stamp.js';
import { absLiteral } from './literal-paths.js';
import type { CacheParts, Prepared, Preprocessed } from './parts.js';

/** Why the source, as hashed before the compile, cannot be vouched for now, or null. */
export function sourceChanged(c: CacheParts, prep: Prepared, startedMs: number): NotStored | null {
  const src = c.files.getSync(prep.srcAbs, true);
  if (!src || !src.stable || !sameStamp(src.stamp, prep.src.stamp) || src.facts.hash !== prep.src.facts.hash) {
    return { reason: 'changed during compile', detail: `${prep.args.source} changed during the compile` };
  }
  // Changed within a clock tick of the compile's start, a second write could have kept its stamp.
  if (isRacy(prep.src.stamp, startedMs, c.slack)) {
    return { reason: 'too new', detail: `${prep.args.source} was modified just before the compile` };
  }
  return null;
}

/** A header whose stamp is too recent to vouch for: changed while the compiler ran
 *  (its inode changed after the start), or so shortly before that a second write
 *  in the same clock tick could hide behind the same stamp. */
export function tooRecent(c: CacheParts, path: string, stamp: StatStamp, startedMs: number): NotStored | null {
  if (!isRacy(stamp, startedMs, c.slack)) return null;
  if (BigInt(stamp.ctime_ns) >= BigInt(startedMs) * 1_000_000n) {
    return { reason: 'changed during compile', detail: `${path} changed during the compile` };
  }
  return { reason: 'too new', detail: `${path} was modified just before the compile` };
}

/** Why the compile's inputs cannot be trusted to be what -E hashed, or null. */
export async function changedSince(c: CacheParts, prep: Prepared, pp: Preprocessed): Promise<NotStored | null> {
  const src = sourceChanged(c, prep, pp.startedMs);
  if (src) return src;
  // Synchronous: dozens of local stats, on the answer's critical path (see cached-compile.ts).
  const now = pp.headers.map((h) => statStampSync(absLiteral(prep.ctx.cwd, h.path)));
  for (let i = 0; i < pp.headers.length; i++) {
    const h = pp.headers[i]!;
    if (!h.snap.stable || !sameStamp(now[i], h.snap.stamp)) {
      return { reason: 'changed during compile', detail: `${h.path} changed during the compile` };
    }
    // First seen after -E started: only its timestamp can say it was not written after that.
    const why = tooRecent(c, h.path, h.snap.stamp, pp.startedMs);
    if (why) return why;
  }
  return null;
}
