// The cache's one view of where entries are: an ordered list of tiers (tier.ts), the
// local directory first. This file is the only place that knows the order:
//
//   read     each tier in turn; the first blob that matches the integrity its tier
//            claims is the answer, and is copied into the writable tiers before that
//            one (a remote hit lands in the local tier, so the next read is local).
//            A blob that does not match is removed from its tier, reported as corrupt
//            and never returned: that tier is a miss.
//   put      every writable tier.
//   discard  (a blob that verified but is not in our format) every tier.
//
// The first tier is the one the build stands on: its errors are the cache's errors
// (the caller counts them and compiles), and its puts are awaited. Every further tier
// is best effort: its errors are misses reported through onTierError, and its puts run
// unawaited, as do copy-backs into any tier (settled() waits for them): a hit is
// answered before its copy is written.

import type { CacheTier, EntryKind, TierBlob, TierGetOptions } from './tier.js';
import { checkIntegrity } from './tier.js';
import { LocalTier } from './tiers/local.js';

export interface StoreEvents {
  /** A corrupt or truncated entry was found and removed. */
  onCorrupt?(kind: EntryKind, key: string, why: string): void;
  /** A best-effort tier failed (a read then was a miss, a write is lost). */
  onTierError?(tier: string, e: unknown): void;
  /** What a tier after the first answered: a verified hit (its bytes), a miss, or a
   *  blob that failed its integrity check (also reported through onCorrupt). Never
   *  called for the first tier, so a local-only store counts nothing more per read. */
  onLaterTier?(tier: string, outcome: 'hit' | 'miss' | 'corrupt', bytes: number): void;
}

export class TieredStore {
  private readonly pending = new Set<Promise<void>>();

  constructor(
    /** In lookup order; at least one. */
    readonly tiers: readonly CacheTier[],
    private readonly events: StoreEvents = {},
  ) {
    if (tiers.length === 0) throw new Error('internal: a store needs at least one tier');
  }

  /** Whether a tier after the first exists (a local miss then still has somewhere to look). */
  get tiersBeyondFirst(): boolean {
    return this.tiers.length > 1;
  }

  /** The blob under (kind, key), integrity-checked, or null. */
  async get(kind: EntryKind, key: string, opts?: TierGetOptions): Promise<Buffer | null> {
    return (await this.read(kind, key, opts))?.data ?? null;
  }

  /** get(), with what the tier said about where the blob is. */
  async read(kind: EntryKind, key: string, opts?: TierGetOptions): Promise<TierBlob | null> {
    const tiers = this.tiers;
    for (let i = 0; i < tiers.length; i++) {
      const tier = tiers[i]!;
      let blob: TierBlob | null;
      if (i === 0) {
        blob = await tier.get(kind, key, opts);
      } else {
        try {
          blob = await tier.get(kind, key, opts);
        } catch (e) {
          this.events.onTierError?.(tier.name, e);
          continue;
        }
      }
      if (!blob) {
        if (i > 0) this.events.onLaterTier?.(tier.name, 'miss', 0);
        continue;
      }
      if (!checkIntegrity(blob.data, blob.integrity)) {
        if (i > 0) this.events.onLaterTier?.(tier.name, 'corrupt', blob.data.length);
        await this.removeFrom(i, kind, key, true);
        this.events.onCorrupt?.(kind, key, `content in the ${tier.name} tier does not match its integrity (${blob.data.length} bytes)`);
        continue;
      }
      if (i > 0) this.events.onLaterTier?.(tier.name, 'hit', blob.data.length);
      for (let j = 0; j < i; j++) if (tiers[j]!.writable) this.background(tiers[j]!, tiers[j]!.put(kind, key, blob.data));
      return blob;
    }
    return null;
  }

  /** Whether any tier may have (kind, key). */
  async has(kind: EntryKind, key: string): Promise<boolean> {
    for (const t of this.tiers) if (await t.has(kind, key).catch(() => false)) return true;
    return false;
  }

  /** Whether a writable tier after the first exists (what putBeyondFirst writes to). */
  get writableBeyondFirst(): boolean {
    return this.tiers.slice(1).some((t) => t.writable);
  }

  /** Stores `data` in the writable tiers after the first only, unawaited (settled()
   *  waits): for an entry the first tier keeps in another form (result-store.ts). */
  putBeyondFirst(kind: EntryKind, key: string, data: Buffer): void {
    const tiers = this.tiers;
    for (let i = 1; i < tiers.length; i++) if (tiers[i]!.writable) this.background(tiers[i]!, tiers[i]!.put(kind, key, data));
  }

  /** Stores `data` in every writable tier; resolves once the first tier has it. */
  async put(kind: EntryKind, key: string, data: Buffer): Promise<void> {
    this.putBeyondFirst(kind, key, data);
    const first = this.tiers[0]!;
    if (first.writable) await first.put(kind, key, data);
  }

  /** Removes an entry found corrupt (it verified, but is not in our format) from every
   *  tier, and reports it. Its content goes too: a tier that deduplicates would
   *  otherwise keep the bad bytes when the same content is written again. */
  async discard(kind: EntryKind, key: string, why: string): Promise<void> {
    for (let i = this.tiers.length - 1; i >= 0; i--) await this.removeFrom(i, kind, key, true);
    this.events.onCorrupt?.(kind, key, why);
  }

  /** Resolves once the unawaited writes started so far are done. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private async removeFrom(i: number, kind: EntryKind, key: string, content: boolean): Promise<void> {
    const tier = this.tiers[i]!;
    if (i === 0) return tier.remove(kind, key, content);
    await tier.remove(kind, key, content).catch((e: unknown) => this.events.onTierError?.(tier.name, e));
  }

  private background(tier: CacheTier, work: Promise<void>): void {
    const p: Promise<void> = work
      .catch((e: unknown) => this.events.onTierError?.(tier.name, e))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }
}

/** The store of a cache directory: its local tier, then `further` (the remote tier,
 *  when one is configured: tiers/redis.ts). */
export function openStore(storeDir: string, events: StoreEvents = {}, further: readonly CacheTier[] = []): { store: TieredStore; local: LocalTier } {
  const local = new LocalTier(storeDir);
  return { store: new TieredStore([local, ...further], events), local };
}
