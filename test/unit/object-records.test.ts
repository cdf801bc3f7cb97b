// The build engine's object records (daemons/orchestrator/object-records.ts): a header an
// earlier TU of the build already had is judged from the answer kept for it, without a
// promise of its own, by this TU's own time: one changed after this TU's inputs were
// checked is recorded as unknown ("") even though an earlier TU recorded its hash.
import { describe, expect, it } from 'vitest';
import { objectRecorder } from '../../daemons/orchestrator/object-records.js';
import type { FileHasher, HashWithTime } from '../../daemons/orchestrator/file-hasher.js';
import type { BuildState } from '../../daemons/orchestrator/build-state.js';
import type { ShadowRecorder } from '../../daemons/orchestrator/include-search.js';
import type { TuPlan } from '../../daemons/orchestrator/planner.js';
import type { CompileResult } from '../../protocol/build.js';

/** Headers with fixed hashes and times; counts the answers asked of it. */
function fakeHasher(times: Record<string, number>) {
  const asked: string[] = [];
  const hasher: FileHasher = {
    hash: async (p) => (p in times ? `h(${p})` : null),
    hashWithTime: async (p): Promise<HashWithTime | null> => {
      asked.push(p);
      return p in times ? { hash: `h(${p})`, newestMs: times[p]! } : null;
    },
  };
  return { hasher, asked };
}

const tu = (n: number): TuPlan =>
  ({ target: 'app', source: `src/t${n}.cpp`, object: `build/t${n}.o`, compiler_id: 'c', command_hash: 'k', dirty: true, reason: null, job: { source: `src/t${n}.cpp`, args: [], cwd: '/p' } }) as unknown as TuPlan;

const hit = (headers: string[], checkedMs: number): CompileResult => ({ outcome: 'cached', exit_code: 0, stderr: '', duration_ms: 0, headers, compiler_id: 'c', inputs_checked_ms: checkedMs });

function recorder(times: Record<string, number>) {
  const { hasher, asked } = fakeHasher(times);
  const { record } = objectRecorder({
    root: '/p',
    state: { getObject: () => undefined } as unknown as BuildState,
    hasher,
    outputs: { hash: async (p: string) => `obj(${p})` },
    shadow: { describe: async () => ({ context: { quote: [], angled: [] }, skip: [] }) } as unknown as ShadowRecorder,
  });
  return { record, asked };
}

describe('object records of a build’s hits', () => {
  it('asks once per header per build, and judges each TU’s copy by that TU’s own check time', async () => {
    const { record, asked } = recorder({ 'src/t1.cpp': 10, 'src/t2.cpp': 10, 'src/t3.cpp': 10, 'a.h': 10, 'new.h': 500 });
    const r1 = await record(tu(1), hit(['a.h', 'new.h', 'missing.h'], 1000), new Map([['src/t1.cpp', 'h(src/t1.cpp)']]), 2000);
    expect(r1!.rec.headers).toEqual([
      { path: 'a.h', hash: 'h(a.h)' },
      { path: 'new.h', hash: 'h(new.h)' },
      { path: 'missing.h', hash: '' },
    ]);
    // A later TU whose inputs were checked before new.h's time: unknown, though t1 recorded it.
    const r2 = await record(tu(2), hit(['new.h', 'a.h', 'missing.h'], 400), new Map([['src/t2.cpp', 'h(src/t2.cpp)']]), 2000);
    expect(r2!.rec.headers).toEqual([
      { path: 'new.h', hash: '' },
      { path: 'a.h', hash: 'h(a.h)' },
      { path: 'missing.h', hash: '' },
    ]);
    const r3 = await record(tu(3), hit(['new.h'], 1000), new Map([['src/t3.cpp', 'h(src/t3.cpp)']]), 2000);
    expect(r3!.rec.headers).toEqual([{ path: 'new.h', hash: 'h(new.h)' }]);
    expect(asked.filter((p) => !p.startsWith('src/')).sort()).toEqual(['a.h', 'missing.h', 'new.h']);
  });

  it('TUs recorded at once share the first answer while it is still coming', async () => {
    const { record, asked } = recorder({ 'src/t1.cpp': 10, 'src/t2.cpp': 10, 'a.h': 10 });
    const [r1, r2] = await Promise.all([
      record(tu(1), hit(['a.h'], 1000), new Map([['src/t1.cpp', 'h(src/t1.cpp)']]), 2000),
      record(tu(2), hit(['a.h'], 5), new Map([['src/t2.cpp', 'h(src/t2.cpp)']]), 2000),
    ]);
    expect(r1!.rec.headers).toEqual([{ path: 'a.h', hash: 'h(a.h)' }]);
    expect(r2!.rec.headers).toEqual([{ path: 'a.h', hash: '' }]);
    expect(asked.filter((p) => p === 'a.h')).toHaveLength(1);
  });
});
