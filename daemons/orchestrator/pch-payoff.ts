// Whether a precompiled header pays, from recorded times (pure).
//
// A TU's record keeps its last real compile time with its PCH (pch_ms) and without
// one (plain_ms), each carried over while the other is measured. Over the users with
// both on record, the mean difference is the saving per TU; times the number of users
// it is the saving per build that compiles them all, against what the PCH itself took
// to compile. A PCH measured not to pay is not used.
//
// A project on `pch = "auto"` from its first build has no plain time on record: its
// users never compiled without the PCH. Then the saving is estimated: a user's plain
// compile is its compile with the PCH plus the parsing of the prefix, and the PCH's own
// compile (parsing the prefix, and writing it out) is an upper bound of that part. So
// each user saves at most the PCH's compile time, and the estimate (an upper bound,
// marked so) is (users - 1) x that time: it never says "does not pay" for the two or
// more users a PCH has (pch-detect.ts), which is what precompiling a shared prefix of
// guarded system headers does nearly always (CMake's target_precompile_headers does it
// unmeasured). A measured figure, where a user has both times, replaces it.
import type { PchUse } from '../../protocol/trace.js';

export interface UserTimes {
  plain_ms?: number;
  pch_ms?: number;
}

export interface Payoff {
  /** null: nothing to judge from yet (the PCH is used). */
  pays: boolean | null;
  /** Per build that compiles every user, the PCH's own compile deducted. */
  saved_ms?: number;
  /** saved_ms is the upper bound estimated without a plain time (see above). */
  estimated?: true;
}

export function pchPayoff(buildMs: number | undefined, users: readonly UserTimes[]): Payoff {
  if (buildMs === undefined) return { pays: null };
  const measured = users.filter((u) => u.plain_ms !== undefined && u.pch_ms !== undefined);
  if (measured.length === 0) {
    // Estimated only once a user compiled with it: its time says the PCH was used.
    if (!users.some((u) => u.pch_ms !== undefined)) return { pays: null };
    const saved = Math.round(buildMs * (users.length - 1));
    return { pays: saved > 0, saved_ms: saved, estimated: true };
  }
  const perTu = measured.reduce((s, u) => s + (u.plain_ms! - u.pch_ms!), 0) / measured.length;
  const saved = Math.round(perTu * users.length - buildMs);
  return { pays: saved > 0, saved_ms: saved };
}

/** "app: 3 TUs, saves ~1.2s per full build; lib: not used (does not pay)": for `status`. */
export function pchSummary(uses: readonly PchUse[]): string | null {
  if (uses.length === 0) return null;
  return uses
    .map((u) => {
      const saved =
        u.saved_ms === undefined
          ? ''
          : u.estimated
            ? `, saves up to ~${(u.saved_ms / 1000).toFixed(1)}s per full build (estimated)`
            : `, ${u.saved_ms >= 0 ? 'saves' : 'costs'} ~${(Math.abs(u.saved_ms) / 1000).toFixed(1)}s per full build`;
      return u.used ? `${u.target}: ${u.users} TUs${saved}` : `${u.target}: not used (${u.why ?? 'off'})`;
    })
    .join('; ');
}
