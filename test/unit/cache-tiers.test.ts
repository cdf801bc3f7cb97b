import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkIntegrity, integrityOf, type CacheTier } from '../../cache/tier.js';
import { MemoryTier } from '../helpers/memory-tier.js';
import { TieredStore } from '../../cache/tiered-store.js';

function setup(tiers: CacheTier[]) {
  const corrupt: string[] = [];
  const tierErrors: string[] = [];
  const store = new TieredStore(tiers, {
    onCorrupt: (kind, key, why) => corrupt.push(`${kind}:${key}: ${why}`),
    onTierError: (tier, e) => tierErrors.push(`${tier}: ${(e as Error).message}`),
  });
  return { store, corrupt, tierErrors };
}

const blob = Buffer.from('object bytes');

describe('TieredStore lookup order', () => {
  it('a hit in the second tier is answered and copied into the first; the next read stays in the first', async () => {
    const local = new MemoryTier('local');
    const remote = new MemoryTier('remote');
    const { store } = setup([local, remote]);
    await remote.put('result', 'k', blob);
    expect((await store.get('result', 'k'))!.equals(blob)).toBe(true);
    await store.settled();
    expect(local.entries.get('result:k')?.data.equals(blob)).toBe(true);
    const remoteGets = remote.gets;
    expect((await store.get('result', 'k'))!.equals(blob)).toBe(true);
    expect(remote.gets).toBe(remoteGets);
  });

  it('a local hit never asks the second tier', async () => {
    const local = new MemoryTier('local');
    const remote = new MemoryTier('remote');
    const { store } = setup([local, remote]);
    await local.put('manifest', 'm', blob);
    expect((await store.get('manifest', 'm'))!.equals(blob)).toBe(true);
    expect(remote.gets).toBe(0);
  });

  it('a digest mismatch is a miss, counted as corrupt, removed, and never returned', async () => {
    const local = new MemoryTier('local');
    const remote = new MemoryTier('remote');
    const { store, corrupt } = setup([local, remote]);
    remote.plantCorrupt('result', 'k', blob);
    expect(await store.get('result', 'k')).toBeNull();
    expect(corrupt).toHaveLength(1);
    expect(corrupt[0]).toMatch(/^result:k: content in the remote tier does not match its integrity/);
    expect(remote.entries.has('result:k')).toBe(false);
    await store.settled();
    expect(local.entries.has('result:k')).toBe(false); // nothing copied back
  });

  it('a corrupt first-tier copy is dropped and the next tier answers (and repairs it)', async () => {
    const local = new MemoryTier('local');
    const remote = new MemoryTier('remote');
    const { store, corrupt } = setup([local, remote]);
    local.plantCorrupt('result', 'k', blob);
    await remote.put('result', 'k', blob);
    expect((await store.get('result', 'k'))!.equals(blob)).toBe(true);
    expect(corrupt).toHaveLength(1);
    await store.settled();
    expect(local.entries.get('result:k')?.data.equals(blob)).toBe(true);
  });

  it('a put goes to every writable tier and skips a read-only one', async () => {
    const local = new MemoryTier('local');
    const remote = new MemoryTier('remote');
    const readOnly = new MemoryTier('shared', false);
    const { store } = setup([local, remote, readOnly]);
    await store.put('link', 'l', blob);
    expect(local.entries.has('link:l')).toBe(true); // the first tier's put is awaited
    await store.settled();
    expect(remote.entries.has('link:l')).toBe(true);
    expect(readOnly.puts).toBe(0);
  });

  it('a failing further tier is a miss reported as a tier error, not a failure of the read', async () => {
    const local = new MemoryTier('local');
    const remote = new MemoryTier('remote');
    remote.failGets = true;
    const { store, tierErrors } = setup([local, remote]);
    expect(await store.get('result', 'k')).toBeNull();
    expect(tierErrors).toEqual(['remote: remote timed out']);
  });

  it('a failing first tier fails the read (the caller counts it and compiles)', async () => {
    const local = new MemoryTier('local');
    local.failGets = true;
    const { store } = setup([local]);
    await expect(store.get('result', 'k')).rejects.toThrow('local timed out');
  });

  it('discard removes a blob from every tier', async () => {
    const local = new MemoryTier('local');
    const remote = new MemoryTier('remote');
    const { store, corrupt } = setup([local, remote]);
    await store.put('result', 'k', blob);
    await store.settled();
    await store.discard('result', 'k', 'not a compile result');
    expect(local.entries.size + remote.entries.size).toBe(0);
    expect(corrupt).toEqual(['result:k: not a compile result']);
  });
});

describe('checkIntegrity', () => {
  const b64 = (alg: string, d: Buffer) => createHash(alg).update(d).digest('base64');
  it('checks the sha512 cacache records', () => {
    expect(checkIntegrity(blob, integrityOf(blob))).toBe(true);
    expect(checkIntegrity(Buffer.from('other'), integrityOf(blob))).toBe(false);
  });
  it('goes by the strongest algorithm an integrity names; an unknown one matches nothing', () => {
    expect(checkIntegrity(blob, `sha1-${b64('sha1', blob)} sha256-${b64('sha256', blob)}`)).toBe(true);
    expect(checkIntegrity(blob, `sha1-${b64('sha1', blob)} sha256-${b64('sha256', Buffer.from('x'))}`)).toBe(false);
    expect(checkIntegrity(blob, `${integrityOf(blob)}?opt`)).toBe(true);
    expect(checkIntegrity(blob, 'md5-abc')).toBe(false);
  });
});
