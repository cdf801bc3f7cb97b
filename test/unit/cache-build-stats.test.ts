// The stats one build's direct-mode checks share (cache/build-stats.ts): one map per
// build id, its start time kept, nothing shared without an id, the latest build only.
import { describe, expect, it } from 'vitest';
import { BuildStatMemo } from '../../cache/build-stats.js';

describe('BuildStatMemo', () => {
  it('shares one map per build id, from the time the build first asked', () => {
    const m = new BuildStatMemo();
    const a = m.forBuild('b1', 1000);
    a.stats.set('/x.h', null);
    expect(m.forBuild('b1', 2000)).toBe(a);
    expect(m.forBuild('b1', 2000).sinceMs).toBe(1000);
    expect(m.forBuild('b2', 3000).stats.size).toBe(0);
  });

  it('a job without a build id shares nothing', () => {
    const m = new BuildStatMemo();
    const a = m.forBuild(undefined, 1);
    a.stats.set('/x.h', null);
    expect(m.forBuild(undefined, 2).stats.size).toBe(0);
  });

  it('keeps the latest build only: an older build id starts afresh', () => {
    const m = new BuildStatMemo();
    m.forBuild('b1', 1).stats.set('/x.h', null);
    m.forBuild('b2', 2);
    const again = m.forBuild('b1', 4);
    expect(again.stats.size).toBe(0);
    expect(again.sinceMs).toBe(4);
  });

  it('keeps nothing once cleared (the daemon went quiet): the same build id starts afresh', () => {
    const m = new BuildStatMemo();
    m.forBuild('b1', 1).stats.set('/x.h', null);
    m.forBuild('b1', 1).stamps.set('/p', new Map());
    m.clear();
    const again = m.forBuild('b1', 5);
    expect(again.stats.size).toBe(0);
    expect(again.stamps.size).toBe(0);
    expect(again.sinceMs).toBe(5);
  });
});
