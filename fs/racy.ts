// The racy rule, as git's index has it for "racily clean" entries: file timestamps
// come from a coarse clock (a kernel tick of 4-10 ms; 1-2 s on some filesystems), so a
// file written twice within one tick can keep its size, mtime and ctime. A stamp is
// therefore only allowed to vouch for content read at `referenceMs` when the file's
// newest timestamp is at least `windowMs` older than that moment; a younger stamp is
// not trusted, and its file is read again next time.
//
// The rule is one; the window is each user's, chosen for what a wrong answer costs
// there and how long the answer is kept (see each caller's constant).

import type { StatStamp } from './stat-stamp.js';
import { recordedNewestMs } from './quick-stat.js';

/** Is a file whose newest timestamp is `newestMs` too young, at `referenceMs`, to be
 *  vouched for by its stamp? Times in ms since the epoch (as a plain stat gives them). */
export function isRacyTime(newestMs: number, referenceMs: number, windowMs: number): boolean {
  return newestMs >= Math.floor(referenceMs - windowMs);
}

/** isRacyTime for a recorded stamp (its ms conversion is cached on it: the compile
 *  cache asks this for every directory and candidate it records). */
export function isRacy(s: StatStamp, referenceMs: number, windowMs: number): boolean {
  return isRacyTime(recordedNewestMs(s), referenceMs, windowMs);
}
