// A no-op question on a 20,000-file tree does no per-file work: no stat, no read,
// no directory listing. (Wall time is for bench/, not for a test.)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nodeIO, type DiscoveryIO } from '../../daemons/discovery/io.js';
import { DiscoveryService } from '../../daemons/discovery/service.js';

const DIRS = 200;
const PER_DIR = 100;

describe('discovery no-op cost', () => {
  let root = '';
  let svc: DiscoveryService | null = null;
  const counts = { stat: 0, hashFile: 0, readdir: 0 };
  const inner = nodeIO();
  const io: DiscoveryIO = {
    stat: (p) => (counts.stat++, inner.stat(p)),
    hashFile: (p) => (counts.hashFile++, inner.hashFile(p)),
    readdir: (p) => (counts.readdir++, inner.readdir(p)),
  };
  const reset = () => {
    counts.stat = counts.hashFile = counts.readdir = 0;
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'rb-disc-noop-'));
    for (let d = 0; d < DIRS; d++) {
      mkdirSync(join(root, `m${d}`));
      for (let f = 0; f < PER_DIR; f++) writeFileSync(join(root, `m${d}`, `f${f}.h`), `// ${d}/${f}\n`);
    }
    svc = await DiscoveryService.open({ root, io });
  }, 120_000);

  afterAll(async () => {
    try {
      await svc?.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('changesSince with nothing changed stats, hashes and lists nothing', async () => {
    expect(svc!.status().watched_files).toBe(DIRS * PER_DIR);
    const st = svc!.status();
    let r = await svc!.changesSince(st.epoch, st.journal_id);
    reset();
    for (let i = 0; i < 20; i++) {
      r = await svc!.changesSince(r.epoch, r.journal_id);
      expect(r).toMatchObject({ complete: true, changes: [] });
    }
    expect(counts).toEqual({ stat: 0, hashFile: 0, readdir: 0 });
    const hashes = await svc!.hashMany(Array.from({ length: 1000 }, (_, i) => `m${i % DIRS}/f${i % PER_DIR}.h`));
    expect(hashes.every((h) => typeof h === 'string')).toBe(true);
    expect(counts).toEqual({ stat: 0, hashFile: 0, readdir: 0 });
  });

  it('one edit costs one read, not one per file', async () => {
    const st = svc!.status();
    const r = await svc!.changesSince(st.epoch, st.journal_id);
    reset();
    writeFileSync(join(root, 'm7/f7.h'), '// edited\n');
    const q = await svc!.changesSince(r.epoch, r.journal_id);
    expect(q.changes).toEqual([{ path: 'm7/f7.h', kind: 'changed' }]);
    // One write may come as two events (truncate, then data) read apart: at most two reads.
    expect(counts.hashFile).toBeGreaterThanOrEqual(1);
    expect(counts.hashFile).toBeLessThanOrEqual(2);
    expect(counts.readdir).toBe(0);
    expect(counts.stat).toBeLessThanOrEqual(6);
  });
});
