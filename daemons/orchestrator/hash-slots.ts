// The file hasher's memo (file-hasher.ts) as flat arrays instead of one object per file.
// A 20,000-TU project keeps some 40,000 entries (every source and every object) for the
// life of the daemon; as {stamp, hash, gen} objects each cost a 64-char hex string and a
// 60-char stamp string besides the object, about 280 bytes with its path (at 5,000 TUs
// 2.8 MB, the orchestrator's biggest holder). Here an entry is its path, a slot number,
// 32 bytes of hash, five 64-bit stamp fields and a generation: hex and stamp strings are
// made only when asked for (a cache hit's answer, a save, LinkJob.known).

import type { BigIntStats } from 'node:fs';

/** Stamp fields per slot: size, mtime ns, ctime ns, inode, device (stampKeyOf's order). */
const FIELDS = 5;
const HASH_BYTES = 32;
const HEX = /^[0-9a-f]{64}$/;
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

export class HashSlots {
  private readonly slots = new Map<string, number>();
  private free: number[] = [];
  private used = 0;
  private hashes = Buffer.alloc(0);
  private stamps = new BigUint64Array(0);
  private gens = new Uint32Array(0);

  get size(): number {
    return this.slots.size;
  }

  slotOf(key: string): number | undefined {
    return this.slots.get(key);
  }

  /** Whether `slot` was filled from a stat equal to `st` (stampKeyOf's fields). */
  matches(slot: number, st: BigIntStats): boolean {
    const s = this.stamps;
    const o = slot * FIELDS;
    return (
      s[o] === U64(st.size) && s[o + 1] === U64(st.mtimeNs) && s[o + 2] === U64(st.ctimeNs) && s[o + 3] === U64(st.ino) && s[o + 4] === U64(st.dev)
    );
  }

  hashOf(slot: number): string {
    return this.hashes.toString('hex', slot * HASH_BYTES, (slot + 1) * HASH_BYTES);
  }

  /** The stamp as stampKeyOf writes it. */
  stampOf(slot: number): string {
    const s = this.stamps;
    const o = slot * FIELDS;
    // Times may precede 1970: signed, as a bigint stat gives them.
    return `${s[o]}:${BigInt.asIntN(64, s[o + 1]!)}:${BigInt.asIntN(64, s[o + 2]!)}:${s[o + 3]}:${s[o + 4]}`;
  }

  genOf(slot: number): number {
    return this.gens[slot]!;
  }

  setGen(slot: number, gen: number): void {
    this.gens[slot] = gen;
  }

  /** Records `key`'s hash (sha256 hex) under the stat `st`. */
  set(key: string, st: BigIntStats, hash: string, gen: number): void {
    this.put(key, [st.size, st.mtimeNs, st.ctimeNs, st.ino, st.dev], hash, gen);
  }

  /** set() for a stamp in stampKeyOf's text (a persisted cache); false, and nothing kept,
   *  when the text is not one stampKeyOf writes or the hash is not sha256 hex. */
  setFromText(key: string, stamp: string, hash: string, gen: number): boolean {
    if (!HEX.test(hash)) return false;
    const parts = stamp.split(':');
    if (parts.length !== FIELDS || !parts.every((p) => /^-?\d{1,20}$/.test(p))) return false;
    const fields = parts.map(BigInt);
    const slot = this.put(key, fields, hash, gen);
    // Only what the arrays hold exactly: anything else is dropped (the file is read again).
    if (this.stampOf(slot) === stamp) return true;
    this.delete(key);
    return false;
  }

  delete(key: string): boolean {
    const slot = this.slots.get(key);
    if (slot === undefined) return false;
    this.slots.delete(key);
    this.free.push(slot);
    return true;
  }

  clear(): void {
    this.slots.clear();
    this.free = [];
    this.used = 0;
  }

  /** [key, slot] of every entry; deleting the current one while iterating is fine. */
  entries(): IterableIterator<[string, number]> {
    return this.slots.entries();
  }

  private put(key: string, fields: readonly bigint[], hash: string, gen: number): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.grow();
      this.slots.set(key, slot);
    }
    const o = slot * FIELDS;
    for (let i = 0; i < FIELDS; i++) this.stamps[o + i] = U64(fields[i]!);
    this.hashes.write(hash, slot * HASH_BYTES, HASH_BYTES, 'hex');
    this.gens[slot] = gen;
    return slot;
  }

  /** A new slot number, the arrays grown by half when full. */
  private grow(): number {
    const slot = this.used++;
    if (slot < this.gens.length) return slot;
    const cap = Math.max(1024, Math.ceil(this.gens.length * 1.5));
    const hashes = Buffer.alloc(cap * HASH_BYTES);
    this.hashes.copy(hashes);
    const stamps = new BigUint64Array(cap * FIELDS);
    stamps.set(this.stamps);
    const gens = new Uint32Array(cap);
    gens.set(this.gens);
    this.hashes = hashes;
    this.stamps = stamps;
    this.gens = gens;
    return slot;
  }
}
