import { describe, expect, it } from 'vitest';
import { HeaderGraph } from '../../daemons/discovery/header-graph.js';

describe('discovery header graph', () => {
  it('maps headers back to the sources that included them', () => {
    const g = new HeaderGraph();
    g.record('src/a.cpp', ['include/x.h', 'include/y.h', '/usr/include/stdio.h']);
    g.record('src/b.cpp', ['include/y.h']);
    expect(g.dependents(['include/y.h'])).toEqual(['src/a.cpp', 'src/b.cpp']);
    expect(g.dependents(['include/x.h'])).toEqual(['src/a.cpp']);
    expect(g.dependents(['/usr/include/stdio.h'])).toEqual(['src/a.cpp']);
    expect(g.dependents(['src/b.cpp'])).toEqual(['src/b.cpp']); // a changed source is affected itself
    expect(g.dependents(['unrelated.h'])).toEqual([]);
  });

  it('re-recording replaces the old headers; an empty list forgets the source', () => {
    const g = new HeaderGraph();
    g.record('a.cpp', ['x.h', 'y.h']);
    g.record('a.cpp', ['y.h']);
    expect(g.dependents(['x.h'])).toEqual([]);
    expect(g.headersOf('a.cpp')).toEqual(['y.h']);
    g.record('a.cpp', []);
    expect(g.dependents(['y.h'])).toEqual([]);
    expect(g.sourceCount).toBe(0);
    expect(g.shadowCandidates(['other/y.h'])).toEqual([]);
  });

  it('finds sources a new header could shadow, by basename', () => {
    const g = new HeaderGraph();
    g.record('src/main.cpp', ['a/foo.h', 'a/bar.h']);
    g.record('src/util.cpp', ['a/bar.h']);
    g.record('src/other.cpp', ['c/baz.h']);
    expect(g.shadowCandidates(['b/foo.h'])).toEqual(['src/main.cpp']);
    expect(g.shadowCandidates(['b/bar.h', 'x/none.h'])).toEqual(['src/main.cpp', 'src/util.cpp']);
    expect(g.shadowCandidates(['b/sub/baz.h'])).toEqual(['src/other.cpp']);
    expect(g.shadowCandidates(['foo.hpp'])).toEqual([]);
  });

  it('round-trips through JSON', () => {
    const g = new HeaderGraph();
    g.record('a.cpp', ['x.h']);
    const h = HeaderGraph.fromJSON(JSON.parse(JSON.stringify(g.toJSON())));
    expect(h.dependents(['x.h'])).toEqual(['a.cpp']);
    expect(h.shadowCandidates(['y/x.h'])).toEqual(['a.cpp']);
  });

  it('keeps one string per path however many sources name it', () => {
    const g = new HeaderGraph();
    g.record('a.cpp', JSON.parse('["include/config.h", "x.h"]') as string[]);
    g.record('b.cpp', JSON.parse('["include/config.h"]') as string[]);
    expect(g.headersOf('a.cpp')[0]).toBe(g.headersOf('b.cpp')[0]);
    expect(g.headersOf('nope.cpp')).toEqual([]);
  });

  it('gives the same answers after many sources come and go (its tables are rebuilt)', () => {
    const g = new HeaderGraph();
    g.record('keep.cpp', ['inc/k.h', 'inc/shared.h']);
    for (let i = 0; i < 3000; i++) {
      g.record(`gen/t${i}.cpp`, [`gen/h${i}.h`, 'inc/shared.h']);
      if (i > 0) g.record(`gen/t${i - 1}.cpp`, []);
    }
    expect(g.sourceCount).toBe(2);
    expect(g.dependents(['inc/shared.h'])).toEqual(['gen/t2999.cpp', 'keep.cpp']);
    expect(g.dependents(['gen/h5.h', 'gen/t5.cpp'])).toEqual([]);
    expect(g.dependents(['inc/k.h', 'keep.cpp'])).toEqual(['keep.cpp']);
    expect(g.shadowCandidates(['other/h2999.h', 'other/k.h'])).toEqual(['gen/t2999.cpp', 'keep.cpp']);
    expect(g.shadowCandidates(['other/h5.h'])).toEqual([]);
    expect(g.toJSON()).toEqual({ 'keep.cpp': ['inc/k.h', 'inc/shared.h'], 'gen/t2999.cpp': ['gen/h2999.h', 'inc/shared.h'] });
  });

  it('answers as a plain map of lists would, through lists replaced, forgotten and packed again', () => {
    const g = new HeaderGraph();
    const want = new Map<string, string[]>();
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) % n);
    for (let step = 0; step < 6000; step++) {
      const src = `src/t${rnd(400)}.cpp`;
      const headers = rnd(9) === 0 ? [] : [...new Set(Array.from({ length: 1 + rnd(30) }, () => `inc/h${rnd(200)}.h`))];
      g.record(src, headers);
      if (headers.length) want.set(src, headers);
      else want.delete(src);
    }
    expect(g.sourceCount).toBe(want.size);
    expect(g.toJSON()).toEqual(Object.fromEntries(want));
    for (const [src, hs] of want) expect(g.headersOf(src)).toEqual(hs);
    const readers = [...want].filter(([, hs]) => hs.includes('inc/h5.h')).map(([s]) => s).sort();
    expect(g.dependents(['inc/h5.h'])).toEqual(readers);
  });

  it('a source that is also a header of another source', () => {
    const g = new HeaderGraph();
    g.record('gen/a.inc', ['x.h', 'gen/a.inc']);
    g.record('main.cpp', ['gen/a.inc']);
    expect(g.headersOf('gen/a.inc')).toEqual(['x.h']);
    expect(g.dependents(['gen/a.inc'])).toEqual(['gen/a.inc', 'main.cpp']);
    expect(g.dependents(['x.h'])).toEqual(['gen/a.inc']);
    g.forget('main.cpp');
    expect(g.shadowCandidates(['y/a.inc'])).toEqual([]);
  });
});
