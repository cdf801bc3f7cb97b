// The build state's include-search ids (daemons/orchestrator/search-ids.ts): content
// hashes, memoized by their inputs, so a memo must never give one input another's id.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { searchChainId, searchContextId, searchIdOf } from '../../daemons/orchestrator/search-ids.js';

const short = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex').slice(0, 20);

describe('search ids', () => {
  it('are the content hashes the state format names them by, asked once or many times', () => {
    for (let i = 0; i < 3; i++) {
      expect(searchChainId(['/usr/include', 'include'])).toBe(short(['chain', ['/usr/include', 'include']]));
      expect(searchContextId({ quote: ['src'], chain: 'c1' })).toBe(short(['ctx', ['src'], 'c1']));
    }
    expect(searchIdOf({ quote: ['src'], chain: ['include'] })).toBe(short(['ctx', ['src'], short(['chain', ['include']])]));
  });

  it('inputs that join alike still get their own ids', () => {
    const lists = [[], [''], ['', ''], ['a'], ['a', ''], ['a\n', 'b'], ['a', '\nb']];
    const ids = lists.map((l) => searchChainId(l));
    expect(new Set(ids).size).toBe(lists.length);
    lists.forEach((l, i) => expect(ids[i]).toBe(short(['chain', l])));
    const ctxs = lists.map((q) => searchContextId({ quote: q, chain: 'c' }));
    expect(new Set(ctxs).size).toBe(lists.length);
    expect(searchContextId({ quote: ['a'], chain: 'c' })).not.toBe(searchContextId({ quote: ['a'], chain: 'd' }));
  });

  it('stays right past the memo’s bound', () => {
    for (let i = 0; i < 600; i++) expect(searchChainId([`d${i}`])).toBe(short(['chain', [`d${i}`]]));
  });
});
