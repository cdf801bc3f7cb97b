// Which of ccache's modes a compile goes through (the flows are in modes.ts):
//
//   direct mode      key1 (args, source, env, compiler) → manifest → an entry whose
//                    headers (and absent files, see manifest.ts) still hold → result.
//                    No preprocessor, no compiler: a few stats and hash look-ups.
//                    Sources and project headers are hashed by their tokens and
//                    each token's line and column (comment-blind.ts, line-tails.ts),
//                    so an edit that moves no token is a hit here.
//   depend mode      a TU never seen (no manifest for key1, no sibling, below): it is
//                    compiled at once, and the entry is built from the depfile's
//                    headers and the compiler's include search list (compiler-search.ts,
//                    one `-v` probe per compiler and flags); the result is stored under
//                    a key of key1 and the headers' hashes (keys.ts dependKey).
//   preprocessor     only where it can pay: a manifest for key1 exists but no entry
//   mode             holds, and for one of them only project headers changed, keeping
//                    their token hash (comments and white space aside: a reworded
//                    comment), with its result under a key2 -E can find again; or the
//                    manifest could not be read; or the source was compiled before under
//                    other -D/-I (a "sibling": perhaps a -D that changes no token). Then
//                    `-E` runs first and key2 (preprocessed output + the remaining args)
//                    is looked up → result; a miss compiles and stores under key2. A real
//                    header edit thus compiles at once, as a cold miss does.
//   uncacheable      what args.ts, the environment or the files refuse (prepare.ts):
//                    compiled, counted under its reason.
//
// The trade-off of depend mode: a cold miss no longer pays a second preprocessing
// (60–150 ms per heavy TU, all of it on the critical path of a cold build), but its
// result has no key2, so the first edit of a header after it that only -E cannot
// see (a comment inside a line reworded at another length) compiles once more
// instead of hitting in preprocessor mode (an edit that moves no token is a direct
// hit regardless). To keep most of preprocessor mode's reach anyway, the
// `-E` runs *beside* the compile when two cores are idle (this process runs at least
// two compiles fewer than the machine has cores: an interactive one-file build on four
// cores or more, the tail of a cold one), off the critical path; its key2 is then
// stored as before. One idle core is not enough: the link after the compile needs it. A saturated
// cold build (-j = cores) never pays for it. Stored key2s are the reason any later
// -E can hit, so every -E run stores its key.

import { compilesInFlight, CORES } from './compile-activity.js';
import type { Manifest } from './manifest.js';
import type { EntryChecker } from './manifest-check.js';
import { keyS, type Prepared } from './parts.js';

/** After direct mode found key1's manifest stale: is an -E first worth it? Only where a
 *  comment-level edit may be all that changed and the entry's result is under a
 *  preprocessor key -E can find again. */
export function staleWorthPreprocessing(manifest: Manifest, checker: EntryChecker): boolean {
  return manifest.entries.length === 0 || manifest.entries.some((e) => !e.depend && checker.mayPreprocessAlike(e));
}

/** The mode of a compile direct mode could not answer. `worthE`: a manifest existed
 *  and was unreadable, or staleWorthPreprocessing said so. Never preprocessor mode for
 *  an object that checksums its files' bytes (clang -g) or records tokens' columns
 *  (-g, sanitizers): -E output, without comments and with a comment inside a line
 *  shrunk to one space, cannot tell two such objects apart. */
export function missMode(existed: boolean, worthE: boolean, prep: Prepared, siblings: Siblings): 'preprocessor' | 'depend' {
  if (!keyedByPreprocessing(prep)) return 'depend';
  return worthE || (!existed && siblings.has(prep)) ? 'preprocessor' : 'depend';
}

/** Can preprocessed output key this compile's result? See missMode. */
export function keyedByPreprocessing(prep: Prepared): boolean {
  return !prep.args.checksumsInObject && !prep.args.columnsInObject;
}

/** A depend-mode compile needs an -E beside it: the depfile cannot list everything when
 *  -MMD leaves system headers out, and the precompiled-header check needs every
 *  #include name of the source. */
export function mustPreprocess(prep: Prepared): boolean {
  return prep.args.depfileUserHeadersOnly || prep.src.facts.blind?.computedInclude !== false;
}

/** An -E beside a depend-mode compile because it is cheap now: spare means a core for
 *  the -E and still one for the link that follows and for us (on two cores, often two
 *  hardware threads of one, an -E beside a one-file edit slowed its compile and link by
 *  15-25 %, measured). Asked between compileStarted and compileEnded, which count this compile. */
export function preprocessBeside(alongside: 'spare' | 'always' | 'never'): boolean {
  return alongside === 'always' || (alongside === 'spare' && compilesInFlight() + 1 < CORES);
}

const MAX_SIBLINGS = 100_000;

/** Sibling keys seen by this process (kept in memory only: see keys.ts siblingKey), by
 *  their first 52 bits: a number, not a 64-character string, for each TU a daemon built
 *  (20,000 at 20,000 TUs, kept idle). Two keys alike in those bits only make a miss run
 *  -E first (missMode), which a hit or not it may do anyway. */
export class Siblings {
  private readonly seen = new Set<number>();

  note(prep: Prepared): void {
    if (this.seen.size >= MAX_SIBLINGS) this.seen.clear();
    this.seen.add(shortKey(keyS(prep)));
  }

  has(prep: Prepared): boolean {
    return this.seen.has(shortKey(keyS(prep)));
  }
}

/** A hex key's first 13 digits as a number (exact below 2^53). */
function shortKey(hex: string): number {
  return parseInt(hex.slice(0, 13), 16);
}
