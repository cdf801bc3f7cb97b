// Hashes of files outside every watched root (an include dir around the project, a
// system header): no event says when they change, so each question stats the file and
// reads it only when the stamp moved since the last read.

import { StampMemo } from '../../fs/stamp-memo.js';
import { msFromNs, stampKey } from '../../fs/stat-stamp.js';
import { RACY_MS } from './file-index.js';
import type { DiscoveryIO } from './io.js';

/** Files remembered; beyond that the least recently asked are read again. */
const MAX_ENTRIES = 16_384;

export class OutsideHashes {
  // The index's racy window: these answers live as long as the daemon, like its entries.
  private readonly memo = new StampMemo<string>(RACY_MS, MAX_ENTRIES);

  constructor(private readonly io: DiscoveryIO) {}

  /** sha256 hex of the content; null when there is no readable file. */
  async hash(abs: string): Promise<string | null> {
    const st = await this.io.stat(abs);
    if (st === null || st.kind !== 'file') {
      this.memo.delete(abs);
      return null;
    }
    const stamp = stampKey(st);
    const known = this.memo.get(abs, stamp);
    if (known !== undefined) return known;
    const hash = await this.io.hashFile(abs);
    if (hash === null) return null;
    // The stat from before the read: a write after it shows as another stamp next time.
    this.memo.remember(abs, stamp, hash, msFromNs(st.mtime_ns > st.ctime_ns ? st.mtime_ns : st.ctime_ns), Date.now());
    return hash;
  }
}
