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
});
