// The change journal: what a caller needs to plan a build from the changes alone.
// Its one rule is that it never claims completeness it cannot prove; an answer it
// cannot vouch for says complete=false and the caller falls back to stat+hash.

import { randomUUID } from 'node:crypto';
import type { Change, ChangeKind } from './types.js';

export interface JournalEntry {
  epoch: number;
  path: string;
  kind: ChangeKind;
}

/** What is persisted at a clean close, so callers holding an epoch from before the
 *  restart still get a complete answer. */
export interface JournalSnapshot {
  floor: number;
  entries: [number, string, ChangeKind][];
}

export interface JournalAnswer {
  epoch: number;
  journal_id: string;
  complete: boolean;
  reason?: string;
  changes: Change[];
}

export interface JournalOptions {
  /** Continue this journal (clean restart); otherwise a new id is made. */
  id?: string;
  /** Start epoch; epochs keep growing across restarts either way, which reads well in logs. */
  epoch?: number;
  snapshot?: JournalSnapshot;
  /** Entries kept; older ones are dropped and epochs before them answer incomplete. */
  limit?: number;
}

const KINDS = new Set<ChangeKind>(['added', 'changed', 'removed']);

export class Journal {
  readonly id: string;
  private current: number;
  /** Epochs >= floor are answerable: every change after floor is in `entries`. */
  private floorEpoch: number;
  private floorReason: string;
  private entries: JournalEntry[] = [];
  private readonly limit: number;

  constructor(opts: JournalOptions = {}) {
    this.id = opts.id ?? randomUUID();
    this.current = opts.epoch ?? 0;
    this.floorEpoch = this.current;
    this.floorReason = opts.id ? 'epoch older than the journal kept across the restart' : 'epoch from before this journal started';
    this.limit = Math.max(16, opts.limit ?? 100_000);
    const snap = opts.snapshot;
    if (opts.id && snap && snap.floor <= this.current) {
      const kept = snap.entries.filter(
        ([e, p, k]) => Number.isSafeInteger(e) && e > snap.floor && e <= this.current && typeof p === 'string' && KINDS.has(k),
      );
      // Entries must be strictly increasing for the binary search; anything else is not trusted.
      if (kept.every(([e], i) => i === 0 || e > kept[i - 1]![0])) {
        this.entries = kept.map(([epoch, path, kind]) => ({ epoch, path, kind }));
        this.floorEpoch = snap.floor;
      }
    }
  }

  get epoch(): number {
    return this.current;
  }

  get floor(): number {
    return this.floorEpoch;
  }

  get length(): number {
    return this.entries.length;
  }

  record(path: string, kind: ChangeKind): number {
    const epoch = ++this.current;
    this.entries.push({ epoch, path, kind });
    if (this.entries.length > this.limit) {
      // Drop a quarter at once: trimming one entry per change would copy the array every time.
      const drop = this.entries.length - Math.floor(this.limit * 0.75);
      this.floorEpoch = this.entries[drop - 1]!.epoch;
      this.floorReason = 'epoch older than the retained journal window';
      this.entries = this.entries.slice(drop);
    }
    return epoch;
  }

  /** After a watcher error or a possible overflow: whatever was journaled before may
   *  have missed events, so nobody gets a complete answer from before now. */
  invalidate(reason: string): void {
    this.current++;
    this.floorEpoch = this.current;
    this.floorReason = reason;
    this.entries = [];
  }

  /** Costs O(log n + changes since): nothing here is per watched file. */
  changesSince(since: number, journalId: string | null | undefined): JournalAnswer {
    let reason: string | undefined;
    if (journalId !== this.id) reason = journalId ? 'journal_id mismatch (the service restarted without a continuous history)' : 'no journal_id given';
    else if (!Number.isSafeInteger(since) || since < 0) reason = 'invalid epoch';
    else if (since > this.current) reason = 'epoch from the future';
    else if (since < this.floorEpoch) reason = this.floorReason;
    const from = reason === undefined ? since : Math.max(since | 0, this.floorEpoch);
    const answer: JournalAnswer = {
      epoch: this.current,
      journal_id: this.id,
      complete: reason === undefined,
      changes: this.netChanges(from),
    };
    if (reason !== undefined) answer.reason = reason;
    return answer;
  }

  private netChanges(since: number): Change[] {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.epoch <= since) lo = mid + 1;
      else hi = mid;
    }
    const net = new Map<string, { first: ChangeKind; last: ChangeKind }>();
    for (let i = lo; i < this.entries.length; i++) {
      const { path, kind } = this.entries[i]!;
      const n = net.get(path);
      if (n) n.last = kind;
      else net.set(path, { first: kind, last: kind });
    }
    const out: Change[] = [];
    for (const [path, { first, last }] of net) {
      const existedBefore = first !== 'added';
      const existsNow = last !== 'removed';
      // added-then-removed is reported as removed, not dropped: reporting too much costs a
      // rebuild, too little a wrong build.
      out.push({ path, kind: !existsNow ? 'removed' : existedBefore ? 'changed' : 'added' });
    }
    return out;
  }

  snapshot(maxEntries = 20_000): JournalSnapshot {
    const drop = Math.max(0, this.entries.length - maxEntries);
    const tail = this.entries.slice(drop);
    const floor = drop > 0 ? this.entries[drop - 1]!.epoch : this.floorEpoch;
    return { floor, entries: tail.map((e) => [e.epoch, e.path, e.kind]) };
  }
}
