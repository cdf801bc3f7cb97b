// Whether a precompiled header pays, from recorded times (pure).
//
// A TU's record keeps its last real compile time with its PCH (pch_ms) and without
// one (plain_ms), each carried over while the other is measured. Over the users with
// both on record, the mean difference is the saving per TU; times the number of users
// it is the saving per build that compiles them all, against what the PCH itself took
// to compile. Where nothing is measured yet the PCH is used: precompiling a shared
// prefix of guarded system headers is what pays nearly always (CMake's
// target_precompile_headers does it unmeasured); the figures then show what it did.
import type { PchUse } from '../../protocol/trace.js';

export interface UserTimes {
  plain_ms?: number;
  pch_ms?: number;
}

/** `saved_ms`: per build that compiles every user, the PCH's own compile deducted. */
export function pchPayoff(buildMs: number | undefined, users: readonly UserTimes[]): { pays: boolean | null; saved_ms?: number } {
  const measured = users.filter((u) => u.plain_ms !== undefined && u.pch_ms !== undefined);
  if (buildMs === undefined || measured.length === 0) return { pays: null };
  const perTu = measured.reduce((s, u) => s + (u.plain_ms! - u.pch_ms!), 0) / measured.length;
  const saved = Math.round(perTu * users.length - buildMs);
  return { pays: saved > 0, saved_ms: saved };
}

/** "app: 3 TUs, saves ~1.2s per full build; lib: not used (does not pay)": for `status`. */
export function pchSummary(uses: readonly PchUse[]): string | null {
  if (uses.length === 0) return null;
  return uses
    .map((u) => {
      const saved = u.saved_ms !== undefined ? `, ${u.saved_ms >= 0 ? 'saves' : 'costs'} ~${(Math.abs(u.saved_ms) / 1000).toFixed(1)}s per full build` : '';
      return u.used ? `${u.target}: ${u.users} TUs${saved}` : `${u.target}: not used (${u.why ?? 'off'})`;
    })
    .join('; ');
}
