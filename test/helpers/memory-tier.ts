// A cache tier in memory (cache/tier.ts), counting what is asked of it: the remote
// tier's stand-in where a test is about the store's order of tiers, not about Redis.
import { integrityOf, type CacheTier, type EntryKind, type TierBlob } from '../../cache/tier.js';

/** A tier in memory, counting what is asked of it. */
export class MemoryTier implements CacheTier {
  readonly entries = new Map<string, { data: Buffer; integrity: string }>();
  gets = 0;
  puts = 0;
  failGets = false;

  constructor(
    readonly name: string,
    readonly writable = true,
  ) {}

  async has(kind: EntryKind, key: string): Promise<boolean> {
    return this.entries.has(`${kind}:${key}`);
  }

  async get(kind: EntryKind, key: string): Promise<TierBlob | null> {
    this.gets++;
    if (this.failGets) throw new Error(`${this.name} timed out`);
    const e = this.entries.get(`${kind}:${key}`);
    return e ? { data: e.data, integrity: e.integrity } : null;
  }

  async put(kind: EntryKind, key: string, data: Buffer): Promise<void> {
    this.puts++;
    this.entries.set(`${kind}:${key}`, { data, integrity: integrityOf(data) });
  }

  async remove(kind: EntryKind, key: string): Promise<void> {
    this.entries.delete(`${kind}:${key}`);
  }

  /** Bytes that do not match the integrity recorded for them. */
  plantCorrupt(kind: EntryKind, key: string, data: Buffer): void {
    this.entries.set(`${kind}:${key}`, { data: Buffer.concat([data, Buffer.from('!')]), integrity: integrityOf(data) });
  }
}

