// Content hashes of the watched files, and the on-disk copy that lets a restarted
// daemon rescan by stat (hashing only what stat says moved) instead of re-reading
// the whole tree.

import { readFile } from 'node:fs/promises';
import type { FileStat } from './io.js';
import type { JournalSnapshot } from './journal.js';
import { isRacyTime } from '../../fs/racy.js';
import { msFromNs } from '../../fs/stat-stamp.js';
import { PIECE_CHARS, writeFileAtomicAsync, writePiecesAtomicAsync } from '../../fs/atomic-write.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../fs/private-files.js';

export interface FileEntry {
  size: number;
  mtime_ns: bigint;
  ctime_ns: bigint;
  ino: bigint;
  /** sha256 hex of the content. */
  hash: string;
  /** Hashed within the racy window of its newest timestamp (fs/racy.ts): a later write in
   *  the same timestamp tick would leave stat unchanged, so stat alone never vouches for it. */
  racy: boolean;
}

/** Discovery's racy window. Entries live as long as the daemon and are persisted for
 *  the next one, which rescans by stat alone: coarse kernel clocks and filesystems with
 *  1-2 s timestamps both fit in it. A racy entry costs one re-read at the next rescan. */
export const RACY_MS = 2000;
export const RACY_NS = BigInt(RACY_MS) * 1_000_000n;

export function entryFor(st: FileStat, hash: string, nowNs: bigint): FileEntry {
  return {
    size: st.size,
    mtime_ns: st.mtime_ns,
    ctime_ns: st.ctime_ns,
    ino: st.ino,
    hash,
    racy: isRacyTime(msFromNs(st.mtime_ns > st.ctime_ns ? st.mtime_ns : st.ctime_ns), msFromNs(nowNs), RACY_MS),
  };
}

/** May a rescan keep this entry without reading the file? */
export function statUnchanged(e: FileEntry, st: FileStat): boolean {
  return !e.racy && e.size === st.size && e.mtime_ns === st.mtime_ns && e.ctime_ns === st.ctime_ns && e.ino === st.ino;
}

export function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

function parentKey(key: string): string {
  const i = key.lastIndexOf('/');
  return i <= 0 ? (i === 0 ? '/' : '') : key.slice(0, i);
}

/** Entries a FileIndex makes room for at first, and its growth factor: columns of 1.5×
 *  the files at most, not a doubling's 2×. */
const FIRST_SLOTS = 256;
const GROWTH = 1.5;
const HASH_BYTES = 32;
const HEX64_HASH = /^[0-9a-f]{64}$/;

/**
 * The entries' fields in typed arrays, one slot per file: a FileEntry object with three
 * bigints and a 64-character hash string is ~250 bytes of heap, a slot here 65 (the
 * index lives as long as discovery: 22,000 files at 20,000 TUs). An entry that does not
 * fit the columns (a hash that is not sha256 hex, as test doubles give, or a field out of
 * its column's range) is kept whole beside them.
 */
class EntryColumns {
  private cap = 0;
  private size = new Float64Array(0);
  private mtime = new BigInt64Array(0);
  private ctime = new BigInt64Array(0);
  private ino = new BigUint64Array(0);
  private hash = Buffer.alloc(0);
  private racy = new Uint8Array(0);
  private readonly whole = new Map<number, FileEntry>();
  private readonly free: number[] = [];
  private next = 0;

  /** A slot for a new entry. */
  take(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.next === this.cap) this.grow();
    return this.next++;
  }

  release(slot: number): void {
    this.whole.delete(slot);
    this.free.push(slot);
  }

  put(slot: number, e: FileEntry): void {
    this.whole.delete(slot);
    if (!this.fits(e)) {
      this.whole.set(slot, e);
      return;
    }
    this.size[slot] = e.size;
    this.mtime[slot] = e.mtime_ns;
    this.ctime[slot] = e.ctime_ns;
    this.ino[slot] = e.ino;
    this.hash.write(e.hash, slot * HASH_BYTES, HASH_BYTES, 'hex');
    this.racy[slot] = e.racy ? 1 : 0;
  }

  get(slot: number): FileEntry {
    return this.whole.get(slot) ?? { size: this.size[slot]!, mtime_ns: this.mtime[slot]!, ctime_ns: this.ctime[slot]!, ino: this.ino[slot]!, hash: this.hashOf(slot), racy: this.racy[slot] === 1 };
  }

  hashOf(slot: number): string {
    return this.whole.get(slot)?.hash ?? this.hash.toString('hex', slot * HASH_BYTES, (slot + 1) * HASH_BYTES);
  }

  /** The entry as the state file holds it (PersistedEntry's JSON), made from the columns. */
  persisted(slot: number): string {
    const w = this.whole.get(slot);
    if (w) return `[${w.size},"${w.mtime_ns}","${w.ctime_ns}","${w.ino}",${JSON.stringify(w.hash)},${w.racy ? 1 : 0}]`;
    return `[${this.size[slot]},"${this.mtime[slot]}","${this.ctime[slot]}","${this.ino[slot]}","${this.hashOf(slot)}",${this.racy[slot]}]`;
  }

  private fits(e: FileEntry): boolean {
    return (
      HEX64_HASH.test(e.hash) &&
      BigInt.asIntN(64, e.mtime_ns) === e.mtime_ns &&
      BigInt.asIntN(64, e.ctime_ns) === e.ctime_ns &&
      BigInt.asUintN(64, e.ino) === e.ino
    );
  }

  private grow(): void {
    const cap = Math.max(FIRST_SLOTS, Math.ceil(this.cap * GROWTH));
    const size = new Float64Array(cap);
    size.set(this.size);
    this.size = size;
    const mtime = new BigInt64Array(cap);
    mtime.set(this.mtime);
    this.mtime = mtime;
    const ctime = new BigInt64Array(cap);
    ctime.set(this.ctime);
    this.ctime = ctime;
    const ino = new BigUint64Array(cap);
    ino.set(this.ino);
    this.ino = ino;
    const hash = Buffer.alloc(cap * HASH_BYTES);
    this.hash.copy(hash);
    this.hash = hash;
    const racy = new Uint8Array(cap);
    racy.set(this.racy);
    this.racy = racy;
    this.cap = cap;
  }
}

export class FileIndex {
  /** Key → its slot in `columns`. */
  private readonly files = new Map<string, number>();
  /** Slot → its key: the one instance of each key (canonical). */
  private readonly slotKeys: string[] = [];
  private readonly columns = new EntryColumns();
  /** Parent dir key → its file keys: a removed directory finds its files without a full scan. */
  private readonly byDir = new Map<string, Set<string>>();
  /** Every ancestor dir key → files at or below it: "was this a directory?" in O(1). */
  private readonly below = new Map<string, number>();

  get size(): number {
    return this.files.size;
  }

  /** The entry of `key`, made from the columns (a new object each call). */
  get(key: string): FileEntry | undefined {
    const slot = this.files.get(key);
    return slot === undefined ? undefined : this.columns.get(slot);
  }

  /** The index's own instance of `key` when it has the key, else `key`: what else keeps
   *  the key for as long (the header graph's sources) shares it. */
  canonical(key: string): string {
    const slot = this.files.get(key);
    return slot === undefined ? key : this.slotKeys[slot]!;
  }

  /** get(key)?.hash without the rest of the entry. */
  hashOf(key: string): string | undefined {
    const slot = this.files.get(key);
    return slot === undefined ? undefined : this.columns.hashOf(slot);
  }

  has(key: string): boolean {
    return this.files.has(key);
  }

  keys(): IterableIterator<string> {
    return this.files.keys();
  }

  *entries(): IterableIterator<[string, FileEntry]> {
    for (const [k, slot] of this.files) yield [k, this.columns.get(slot)];
  }

  /** Each key with its entry as the state file's JSON text (PersistedEntry). */
  *persistedEntries(): IterableIterator<[string, string]> {
    for (const [k, slot] of this.files) yield [k, this.columns.persisted(slot)];
  }

  set(key: string, e: FileEntry): void {
    let slot = this.files.get(key);
    if (slot === undefined) {
      // A copy of its own, the one instance every table here keeps: keys come sliced from
      // absolute paths (scope.toKey), and a slice keeps the whole path alive beside it.
      key = flatCopy(key);
      const d = parentKey(key);
      let s = this.byDir.get(d);
      if (!s) this.byDir.set(d, (s = new Set()));
      s.add(key);
      for (const a of ancestors(key)) this.below.set(a, (this.below.get(a) ?? 0) + 1);
      slot = this.columns.take();
      this.files.set(key, slot);
      this.slotKeys[slot] = key;
    }
    this.columns.put(slot, e);
  }

  delete(key: string): boolean {
    const slot = this.files.get(key);
    if (slot === undefined) return false;
    this.files.delete(key);
    this.columns.release(slot);
    const d = parentKey(key);
    const s = this.byDir.get(d);
    if (s) {
      s.delete(key);
      if (s.size === 0) this.byDir.delete(d);
    }
    for (const a of ancestors(key)) {
      const n = (this.below.get(a) ?? 1) - 1;
      if (n <= 0) this.below.delete(a);
      else this.below.set(a, n);
    }
    return true;
  }

  /** Does any indexed file live below this directory key? */
  hasDir(dirKey: string): boolean {
    return this.below.has(dirKey);
  }

  /** File keys strictly below a directory key ('' = the project root: every relative key). */
  under(dirKey: string): string[] {
    const out: string[] = [];
    if (dirKey !== '' && !this.below.has(dirKey)) return out;
    const prefix = dirKey.endsWith('/') ? dirKey : dirKey + '/';
    for (const [d, s] of this.byDir) {
      const inside = dirKey === '' ? !d.startsWith('/') : d === dirKey || d.startsWith(prefix);
      if (inside) for (const k of s) out.push(k);
    }
    return out;
  }
}

/** `s` as a string of its own: JSON.parse makes a new flat string, never a slice. */
function flatCopy(s: string): string {
  return JSON.parse(JSON.stringify(s)) as string;
}

/** Parent keys of a key, nearest first: 'a/b/c.h' → 'a/b', 'a' (the root '' is left out). */
function ancestors(key: string): string[] {
  const out: string[] = [];
  let k = key;
  for (;;) {
    const p = parentKey(k);
    if (p === '' || p === k) break;
    out.push(p);
    if (p === '/') break;
    k = p;
  }
  return out;
}

// ------------------------------------------------------------------ persistence

const FORMAT_VERSION = 1;

/** [size, mtime_ns, ctime_ns, ino, hash, racy]: bigints as decimal strings, compact for 20,000 files. */
type PersistedEntry = [number, string, string, string, string, 0 | 1];

export interface PersistedState {
  version: typeof FORMAT_VERSION;
  root: string;
  journal_id: string;
  epoch: number;
  /** Written true only by a clean close: the next start may continue this journal. */
  clean: boolean;
  saved_at: string;
  files: Record<string, PersistedEntry>;
  /** source → headers it included last time. */
  deps: Record<string, string[]>;
  journal: JournalSnapshot;
}

export interface LoadedState {
  journal_id: string;
  epoch: number;
  clean: boolean;
  index: FileIndex;
  deps: Record<string, string[]>;
  journal: JournalSnapshot;
}

export function serializeIndex(index: FileIndex): Record<string, PersistedEntry> {
  const out: Record<string, PersistedEntry> = {};
  for (const [k, e] of index.entries()) {
    out[k] = [e.size, e.mtime_ns.toString(), e.ctime_ns.toString(), e.ino.toString(), e.hash, e.racy ? 1 : 0];
  }
  return out;
}

const DIGITS = /^\d+$/;
const HEX64 = /^[0-9a-f]{64}$/;

/** The state of `root` from `file`, or null when missing, corrupt, of another format
 *  or of another root: each of those means "start empty", never a half-trusted index. */
export async function loadState(file: string, root: string): Promise<LoadedState | null> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return null;
  }
  try {
    const s = raw as PersistedState;
    if (typeof s !== 'object' || s === null || s.version !== FORMAT_VERSION || s.root !== root) return null;
    if (typeof s.journal_id !== 'string' || !Number.isSafeInteger(s.epoch) || s.epoch < 0) return null;
    if (typeof s.files !== 'object' || s.files === null || typeof s.deps !== 'object' || s.deps === null) return null;
    const index = new FileIndex();
    for (const [k, v] of Object.entries(s.files)) {
      if (!Array.isArray(v) || v.length !== 6) return null;
      const [size, m, c, ino, hash, racy] = v;
      if (!Number.isSafeInteger(size) || size < 0) return null;
      if (![m, c, ino].every((x) => typeof x === 'string' && DIGITS.test(x))) return null;
      if (typeof hash !== 'string' || !HEX64.test(hash)) return null;
      index.set(k, { size, mtime_ns: BigInt(m), ctime_ns: BigInt(c), ino: BigInt(ino), hash, racy: racy === 1 });
    }
    for (const v of Object.values(s.deps)) {
      if (!Array.isArray(v) || !v.every((h) => typeof h === 'string')) return null;
    }
    const j = s.journal;
    const journal: JournalSnapshot =
      j && Number.isSafeInteger(j.floor) && Array.isArray(j.entries) ? j : { floor: s.epoch, entries: [] };
    return { journal_id: s.journal_id, epoch: s.epoch, clean: s.clean === true, index, deps: s.deps, journal };
  } catch {
    return null;
  }
}

/** Readers (and a crash) see the old file or the new one, never a torn mix. */
export function writeStateAtomic(file: string, state: PersistedState | string): Promise<void> {
  const text = typeof state === 'string' ? state : JSON.stringify(state);
  return writeFileAtomicAsync(file, text, { sync: true, mode: PRIVATE_FILE_MODE, dirMode: PRIVATE_DIR_MODE });
}

/** What a save writes besides the index and the header graph. */
export type StateHead = Omit<PersistedState, 'files' | 'deps'>;

/**
 * A PersistedState's JSON text, in pieces of about PIECE_CHARS, made entry by entry from
 * the index and the graph's lists: the same text JSON.stringify gives for serializeIndex()
 * and the graph's toJSON(), without first building those as objects (at 20,000 TUs some
 * 40,000 arrays and 66,000 strings made and dropped on every save after an edit), nor
 * the text whole (tens of MB with its UTF-8 copy, on every save of a start's scan).
 */
export function* persistedStatePieces(head: StateHead, index: FileIndex, deps: Iterable<readonly [string, readonly string[]]>): Generator<string> {
  const { journal, ...rest } = head;
  let piece = `${JSON.stringify(rest).slice(0, -1)},"files":{`;
  let first = true;
  for (const [k, e] of index.persistedEntries()) {
    piece += `${first ? '' : ','}${JSON.stringify(k)}:${e}`;
    first = false;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  piece += '},"deps":{';
  first = true;
  for (const [src, headers] of deps) {
    piece += `${first ? '' : ','}${JSON.stringify(src)}:${JSON.stringify(headers)}`;
    first = false;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}},"journal":${JSON.stringify(journal)}}`;
}

/** persistedStatePieces as one text. */
export function persistedStateText(head: StateHead, index: FileIndex, deps: Iterable<readonly [string, readonly string[]]>): string {
  return [...persistedStatePieces(head, index, deps)].join('');
}

/** Writes the state made by `pieces()` atomically, and durably (writePiecesAtomicAsync),
 *  making its directories below the project's root `within`, never the root itself. */
export function writeStatePieces(file: string, pieces: () => Iterable<string>, within: string): Promise<void> {
  return writePiecesAtomicAsync(file, pieces, { sync: true, mode: PRIVATE_FILE_MODE, dirMode: PRIVATE_DIR_MODE, within });
}

/** When a save may run: not while requests come (a save is one synchronous stretch, at
 *  20,000 TUs half a second and more of the event loop, and a build that asks then waits
 *  for all of it), unless it has waited maxDelayMs. */
export interface SaveWhenQuiet {
  /** When the daemon was last asked something on a build's path (Date.now() units). */
  lastAskedMs: () => number;
  /** Quiet this long before a save. */
  quietMs: number;
  /** Dirty this long, a save runs whatever the requests. */
  maxDelayMs: number;
  now?: () => number;
}

/** Debounces saves: a burst of edits writes the file once, and saves never overlap. */
export class Persister {
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private dirty = false;
  /** When the oldest unsaved change was marked (quiet's clock). */
  private dirtySince = 0;

  constructor(
    private readonly save: () => Promise<void>,
    private readonly delayMs: number,
    private readonly onError: (e: unknown) => void,
    private readonly quiet?: SaveWhenQuiet,
  ) {}

  markDirty(): void {
    if (!this.dirty) this.dirtySince = this.now();
    this.dirty = true;
    if (this.timer === null) this.arm(this.delayMs);
  }

  private now(): number {
    return (this.quiet?.now ?? Date.now)();
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      const wait = this.untilQuiet();
      if (wait > 0) return this.arm(wait);
      void this.flush().catch(this.onError);
    }, ms);
    this.timer.unref();
  }

  /** How much longer a due save waits for quiet: 0 to run now. */
  private untilQuiet(): number {
    const q = this.quiet;
    if (!q || !this.dirty) return 0;
    const now = this.now();
    const quietLeft = q.quietMs - (now - q.lastAskedMs());
    const overdue = now - this.dirtySince >= q.maxDelayMs;
    return overdue || quietLeft <= 0 ? 0 : Math.min(quietLeft, q.maxDelayMs - (now - this.dirtySince));
  }

  /** Saves now if anything changed (or `force`), after any save in progress. */
  async flush(force = false): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.writing) await this.writing;
    if (!this.dirty && !force) return;
    this.dirty = false;
    this.writing = this.save().finally(() => {
      this.writing = null;
    });
    await this.writing;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
