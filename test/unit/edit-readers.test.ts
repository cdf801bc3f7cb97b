// edit-readers.ts: every TU that reads a changed file is found, whatever form its record
// gives the path in, and what a compiled TU reads now is added.
import { describe, expect, it } from 'vitest';
import { EditReaders } from '../../daemons/orchestrator/edit-readers.js';
import type { BuildStateReader, ObjectRecord } from '../../daemons/orchestrator/build-state.js';
import type { TuPlan } from '../../daemons/orchestrator/planner.js';

const tu = (source: string) => ({ source, object: `build/${source}.o` }) as TuPlan;
const rec = (source: string, headers: string[]): ObjectRecord => ({ command_hash: 'c', source, source_hash: 's', headers: headers.map((path) => ({ path, hash: 'h' })) });

function stateOf(records: Record<string, ObjectRecord>): BuildStateReader & { records: Record<string, ObjectRecord> } {
  return { records, getObject: (o: string) => records[o], getLink: () => undefined };
}

describe('EditReaders', () => {
  const tus = [tu('src/a.cpp'), tu('src/b.cpp'), tu('src/c.cpp'), tu('src/d.cpp')];
  const state = stateOf({
    'build/src/a.cpp.o': rec('src/a.cpp', ['include/x.h', '/usr/include/stdio.h']),
    'build/src/b.cpp.o': rec('src/b.cpp', ['./include/x.h', 'include/../include/y.h']),
    'build/src/c.cpp.o': rec('src/c.cpp', ['/proj/include/y.h']),
    // d.cpp has no record: always looked at.
  });
  const readers = EditReaders.of('/proj', tus, state);
  const of = (...paths: string[]) => [...readers.readersOf(paths)].sort();

  it('finds the readers of a header by its absolute path, whatever form the records name it in', () => {
    expect(of('/proj/include/x.h')).toEqual([0, 1, 3]);
    expect(of('/proj/include/y.h')).toEqual([1, 2, 3]);
    expect(of('/usr/include/stdio.h')).toEqual([0, 3]);
  });

  it('finds a TU by its source, and nothing for a file nobody reads', () => {
    expect(of('/proj/src/c.cpp')).toEqual([2, 3]);
    expect(of('/proj/include/z.h')).toEqual([3]);
    expect(of('/elsewhere/include/x.h')).toEqual([3]);
  });

  it('adds what a TU reads after it compiled, keeping what it read before', () => {
    const r = EditReaders.of('/proj', tus, state);
    state.records['build/src/c.cpp.o'] = rec('src/c.cpp', ['include/z.h']);
    r.add(2, tus[2]!, state);
    r.add(2, tus[2]!, state);
    expect([...r.readersOf(['/proj/include/z.h'])].sort()).toEqual([2, 3]);
    expect([...r.readersOf(['/proj/include/y.h'])].sort()).toEqual([1, 2, 3]);
  });

  it('takes a root of / as any other', () => {
    const r = EditReaders.of('/', [tu('src/a.cpp')], stateOf({ 'build/src/a.cpp.o': rec('src/a.cpp', ['inc/x.h']) }));
    expect([...r.readersOf(['/inc/x.h'])]).toEqual([0]);
    expect([...r.readersOf(['/src/a.cpp'])]).toEqual([0]);
  });
});
