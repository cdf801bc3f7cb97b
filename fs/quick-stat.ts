// Quick stats: the compile cache's hit path compares stamps it recorded against the
// disk a hundred times per TU. A bigint stat costs twice a plain one in Node 20 (it
// builds four Date objects), so those comparisons use plain stats: times in ms as
// doubles, computed exactly as Node computes them from the kernel's (sec, nsec), so
// that a recorded ns stamp can be turned into the very double a plain stat of the same
// file gives. Doubles near today's epoch resolve ~0.25 µs; two writes that close could
// keep a "quick" stamp, but every stamp a memo or manifest trusts is older than its racy
// window when taken (racy.ts), and any later change moves ctime later by more than that.

import { statSync, type Stats } from 'node:fs';
import { isMissing, kindOf, msFromNs, type FileKind, type StatStamp } from './stat-stamp.js';

/** A plain stat reduced to what comparisons need. */
export interface QuickStat {
  kind: FileKind;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  dev: number;
}

/** Plain (non-bigint) stat following symlinks; null when nothing is there. */
export function quickStat(path: string): QuickStat | null {
  let st;
  try {
    st = statSync(path, { throwIfNoEntry: false });
  } catch (e) {
    if (isMissing(e)) return null;
    throw e;
  }
  if (!st) return null;
  return quickOfStats(st);
}

/** A plain stat (statSync's, or fstatSync's of an open file) reduced to a QuickStat. */
export function quickOfStats(st: Stats): QuickStat {
  return { kind: kindOf(st), size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino, dev: st.dev };
}

/** Decimal digits that survive the trip through a double. */
const exactNumber = (dec: string): number | null => (dec.length <= 15 ? Number(dec) : null);

/** Recorded (size, mtime, ctime, ino) in quick form, cached on the record itself under a
 *  symbol, which JSON.stringify leaves out (manifests are re-encoded with their records). */
const QUICK = Symbol('quick');
interface QuickForm {
  mtimeMs: number;
  ctimeMs: number;
  ino: number | null;
  dev: number | null;
}
export type Recorded = { mtime_ns: string; ctime_ns: string; ino: string; dev?: string } & { [QUICK]?: QuickForm };

function quickForm(r: Recorded): QuickForm {
  return (r[QUICK] ??= {
    mtimeMs: msFromNs(r.mtime_ns),
    ctimeMs: msFromNs(r.ctime_ns),
    ino: exactNumber(r.ino),
    dev: r.dev === undefined ? null : exactNumber(r.dev),
  });
}

/** max(mtime, ctime) of a recorded stamp in ms (the conversion cached on the record). */
export function recordedNewestMs(r: Recorded): number {
  const f = quickForm(r);
  return Math.max(f.mtimeMs, f.ctimeMs);
}

/** Does a quick stat show the recorded stamp? null when it cannot tell (an inode
 *  number beyond 2^53): the caller then compares bigint stamps. */
export function quickMatches(q: QuickStat, r: Recorded & { size: number; kind?: FileKind }): boolean | null {
  const f = quickForm(r);
  if (f.ino === null || (r.dev !== undefined && f.dev === null)) return null;
  return (
    (r.kind === undefined || q.kind === r.kind) &&
    q.size === r.size &&
    q.mtimeMs === f.mtimeMs &&
    q.ctimeMs === f.ctimeMs &&
    q.ino === f.ino &&
    (f.dev === null || q.dev === f.dev)
  );
}

/** quickMatches for directory records (no size). */
export function quickMatchesDir(q: QuickStat, r: Recorded): boolean | null {
  const f = quickForm(r);
  if (f.ino === null) return null;
  return q.kind === 'dir' && q.mtimeMs === f.mtimeMs && q.ctimeMs === f.ctimeMs && q.ino === f.ino;
}

export function sameQuick(a: QuickStat | null, b: QuickStat | null): boolean {
  if (!a || !b) return !a && !b;
  return a.kind === b.kind && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs && a.ino === b.ino && a.dev === b.dev;
}

/** The quick form of a full stamp (for memos that keep both). */
export function quickOf(s: StatStamp): QuickStat {
  return {
    kind: s.kind,
    size: s.size,
    mtimeMs: msFromNs(s.mtime_ns),
    ctimeMs: msFromNs(s.ctime_ns),
    ino: Number(s.ino),
    dev: Number(s.dev),
  };
}
