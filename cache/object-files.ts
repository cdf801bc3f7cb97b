// The content files that hold stored objects (result.ts, v2), and the rule that decides
// when one may be restored without reading it.
//
// A restore is a kernel copy (copy_file_range, or a reflink where the file system has
// them) of the content file into a temp name that is then renamed over the output: the
// bytes never pass through JS, so they cannot be hashed on the way. Never a hard link: a
// tool that appends to or truncates its output in place would write into the cache.
//
// Objects up to INLINE_MAX_BYTES are read and written instead: on this machine's ext4 (no
// reflinks) copy_file_range saves no system time for them, and its extra fstat, ftruncate
// and fchmod cost more than the read (issue 16's measurements, README "Compile cache").
// They are checked by the same rule, from the open file's fstat (the stat readFileSync
// makes anyway): a sha512 of every small object on every hit was a few percent of a warm
// clean rebuild's daemon time, for bytes the stamp already vouches for.
//
// The integrity rule for a copied object, per restore:
//   - the content file's size must be the size the result's header records (the header
//     itself is sha512-checked when read): a truncated or half-written file, the usual
//     damage of a crash or a full disk, is caught on every hit without reading it;
//   - its full sha512 is checked against the recorded integrity the first time this
//     process restores it, and again whenever its stat stamp (size, mtime, ctime, inode)
//     differs from the one the last full check saw. Content files are immutable (cacache
//     names them by their hash and never rewrites one; eviction touches the result's
//     header, not the object), so any write to one through the file system moves its
//     stamp and is re-checked before the next restore. A stamp younger than the racy
//     window is not remembered (racy.ts): a write within the same clock tick as the
//     check could otherwise keep it.
// What escapes the stamp (media-level bit rot under a running daemon) is found at the
// next daemon start, by `replibuild cache verify` (a full check of every entry), and is
// never silent: a failed check removes the entry, counts an error, and compiles.

import { closeSync, copyFileSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { quickOfStats, quickStat, sameQuick, type QuickStat } from '../fs/quick-stat.js';
import { trimmableLru } from '../fs/bounded-lru.js';
import { isRacyTime } from '../fs/racy.js';
import type { ObjectRef } from './result.js';
import { checkIntegrity } from './tier.js';
import { contentPathOf } from './tiers/local.js';

/** Content files whose last full check is remembered (a stamp each). */
const MAX_VERIFIED = 16_384;

/** Whether an object's content file can be restored from, and if not, why. */
export type ObjectCheck = { path: string } | { missing: string } | { corrupt: string };

/** What a restore writes from: the checked bytes (a small object), or the checked file. */
export type ObjectSource = { bytes: Buffer } | { path: string } | { missing: string } | { corrupt: string };

/** Objects up to this size are read, checked and written rather than copied. */
export const INLINE_MAX_BYTES = 64 * 1024;

const GONE = 'the object content file is gone (evicted or cleared)';

export class ObjectFiles {
  private readonly verified = trimmableLru<string, QuickStat>(MAX_VERIFIED);
  /** Content file by integrity (a base64 to hex conversion and a join saved per hit). */
  private readonly paths = trimmableLru<string, string>(MAX_VERIFIED);

  /** Drops memos that overflowed during the last build (bounded-lru.ts). */
  trimOverflowed(): void {
    this.verified.dropIfOverflowed();
    this.paths.dropIfOverflowed();
  }

  constructor(
    /** cacache's directory (CacheLayout.store). */
    private readonly storeDir: string,
    /** Stamps younger than this many ms are not remembered as checked. */
    private readonly racyWindowMs: number,
  ) {}

  /** The rule above: size always, the full hash unless this stamp was checked before. */
  check(ref: ObjectRef): ObjectCheck {
    return this.checkFile(ref, false);
  }

  /** Where a restore of `ref` takes its bytes from: read when small, else the content
   *  file; either checked by the rule above. */
  source(ref: ObjectRef): ObjectSource {
    if (ref.size > INLINE_MAX_BYTES) return this.check(ref);
    const path = this.pathOf(ref);
    return path ? this.readSmall(path, ref) : { corrupt: badIntegrity(ref) };
  }

  /** Size and full hash, whatever was checked before (`cache verify`). */
  verifyFully(ref: ObjectRef): ObjectCheck {
    return this.checkFile(ref, true);
  }

  /** Copies the checked content file at `from` to `to` (created or truncated) in the kernel. */
  copy(from: string, to: string): void {
    copyFileSync(from, to);
  }

  /** Forgets a content file (removed, or found bad). */
  forget(path: string): void {
    this.verified.delete(path);
  }

  private pathOf(ref: ObjectRef): string | null {
    let path = this.paths.get(ref.integrity) ?? null;
    if (!path && (path = contentPathOf(this.storeDir, ref.integrity))) this.paths.set(ref.integrity, path);
    return path;
  }

  /** The small content file at `path`, read; hashed unless its fstat is the stamp the
   *  last full check saw (the rule above, as checkFile applies it to a copied file). */
  private readSmall(path: string, ref: ObjectRef): ObjectSource {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      this.verified.delete(path);
      return { missing: GONE };
    }
    try {
      const st = quickOfStats(fstatSync(fd));
      if (st.kind !== 'file') {
        this.verified.delete(path);
        return { missing: GONE };
      }
      const data = st.size === ref.size ? readExactly(fd, ref.size) : null;
      if (!data) {
        this.verified.delete(path);
        return { corrupt: `the object content file is ${st.size} bytes, its result says ${ref.size}` };
      }
      if (sameQuick(this.verified.get(path) ?? null, st)) return { bytes: data };
      if (!checkIntegrity(data, ref.integrity)) {
        this.verified.delete(path);
        return { corrupt: `the object content file does not match its integrity (${data.length} bytes)` };
      }
      this.remember(path, st);
      return { bytes: data };
    } finally {
      closeSync(fd);
    }
  }

  /** A fully checked stamp, kept unless it is racy (a write in the same tick could keep it). */
  private remember(path: string, st: QuickStat): void {
    if (!isRacyTime(Math.max(st.mtimeMs, st.ctimeMs), Date.now(), this.racyWindowMs)) this.verified.set(path, st);
    else this.verified.delete(path);
  }

  private checkFile(ref: ObjectRef, full: boolean): ObjectCheck {
    const path = this.pathOf(ref);
    if (!path) return { corrupt: badIntegrity(ref) };
    const st = quickStat(path);
    if (!st || st.kind !== 'file') {
      this.verified.delete(path);
      return { missing: GONE };
    }
    if (st.size !== ref.size) {
      this.verified.delete(path);
      return { corrupt: `the object content file is ${st.size} bytes, its result says ${ref.size}` };
    }
    if (!full && sameQuick(this.verified.get(path) ?? null, st)) return { path };
    const read = readChecked(path, ref);
    if (!('bytes' in read)) {
      this.verified.delete(path);
      return read;
    }
    this.remember(path, st);
    return { path };
  }
}

/** `size` bytes of the open file `fd` from its start; null when it holds fewer. */
function readExactly(fd: number, size: number): Buffer | null {
  const data = Buffer.allocUnsafe(size);
  let off = 0;
  while (off < size) {
    const n = readSync(fd, data, off, size - off, off);
    if (n === 0) return null;
    off += n;
  }
  return data;
}

/** The content file at `path`, read and checked in full against `ref`. */
function readChecked(path: string, ref: ObjectRef): { bytes: Buffer } | { missing: string } | { corrupt: string } {
  let data: Buffer;
  try {
    data = readFileSync(path);
  } catch {
    return { missing: GONE };
  }
  if (data.length !== ref.size) return { corrupt: `the object content file is ${data.length} bytes, its result says ${ref.size}` };
  if (!checkIntegrity(data, ref.integrity)) return { corrupt: `the object content file does not match its integrity (${data.length} bytes)` };
  return { bytes: data };
}

function badIntegrity(ref: ObjectRef): string {
  return `the object's integrity ${ref.integrity.slice(0, 20)}… is not one this cache writes`;
}
