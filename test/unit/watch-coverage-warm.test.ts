import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WatchCoverage, warmSources } from '../../daemons/orchestrator/watch-coverage.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('warmSources', () => {
  it('answers covers() for every selected source ahead of need, and stops when told', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rb-warm-'));
    dirs.push(root);
    mkdirSync(join(root, 'src'));
    const sources = Array.from({ length: 600 }, (_, i) => `src/s${i}.cpp`);
    for (const s of sources) writeFileSync(join(root, s), '');
    const scope = { roots: [root], ignored: [], build_dir: 'build' };
    const cov = new WatchCoverage(root, scope);
    const asked: string[] = [];
    const covers = cov.covers.bind(cov);
    cov.covers = (p: string) => (asked.push(p), covers(p));
    warmSources(cov, [{ name: 'app', sources }, { name: 'other', sources: ['src/x.cpp'] }], ['app']);
    // It runs in slices between other work: waited for until done (a loaded machine may
    // take longer than any fixed pause), however long that takes within the bound.
    await vi.waitFor(() => expect(asked).toHaveLength(sources.length), { timeout: 10_000, interval: 10 });
    await new Promise((r) => setTimeout(r, 20));
    expect(asked).toEqual(sources); // the unselected target's are not asked about

    const cov2 = new WatchCoverage(root, scope);
    const asked2: string[] = [];
    const covers2 = cov2.covers.bind(cov2);
    cov2.covers = (p: string) => (asked2.push(p), covers2(p));
    const stop = warmSources(cov2, [{ name: 'app', sources }], ['app']);
    stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(asked2.length).toBeLessThan(sources.length); // stopped at its first turn
    expect(cov2.covers('src/s599.cpp')).toBe(new WatchCoverage(root, scope).covers('src/s599.cpp'));
  });
});
