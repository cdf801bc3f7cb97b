// Whether a compile's inputs are still what it read: a result is only stored when no
// input moved during the compile, and none changed so shortly before it that a second
// write in the same clock tick could hide behind the same stamp.

import { setTimeout as sleep } from 'node:timers/promises';
import type { NotStored } from './bookkeeping.js';
import { recordedNewestMs } from '../fs/quick-stat.js';
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

/** Whether a store may wait for `why` to pass: a source saved a moment before its compile
 *  began (as one compiled ahead of its build is, daemons/orchestrator/compile-ahead.ts),
 *  stored after the compile has answered (background-stores.ts). */
export function mayOutwait(c: CacheParts, why: NotStored | null): boolean {
  return why?.reason === 'too new' && c.background.enabled;
}

/** `why` (the source too new at the compile's start) once the racy window has passed, or
 *  null: the source then still has the stamp and the content hashed before the compile.
 *  Read again now (a racy read is never remembered: fs-snapshot.ts), a second write in
 *  the save's clock tick would show in the content. A stamp from the future stays too new. */
export async function outwaitSource(c: CacheParts, prep: Prepared, why: NotStored): Promise<NotStored | null> {
  const waitMs = recordedNewestMs(prep.src.stamp) + c.slack + 1 - Date.now();
  if (waitMs > c.slack + 1) return why;
  if (waitMs > 0) await sleep(waitMs);
  return sourceChanged(c, prep, Date.now());
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

/** Why the compile's inputs cannot be trusted to be what -E hashed, or null; `source`:
 *  false when the caller has judged the source itself (mayOutwait). */
export async function changedSince(c: CacheParts, prep: Prepared, pp: Preprocessed, source = true): Promise<NotStored | null> {
  const src = source ? sourceChanged(c, prep, pp.startedMs) : null;
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
