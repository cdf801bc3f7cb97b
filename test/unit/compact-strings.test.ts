import { describe, expect, it } from 'vitest';
import { compactJob } from '../../daemons/orchestrator/compact-strings.js';
import { flat, StringPool } from '../../daemons/common/string-pool.js';
import type { CompileJob } from '../../protocol/build.js';

const jobOf = (source: string, extra: Partial<CompileJob> = {}): CompileJob => ({
  cwd: `/p/${'root'}`,
  compiler: 'g++',
  args: ['-std=c++17', `-fdebug-prefix-map=${'/p/root'}=.`, '-Iinclude', '-c', source],
  source,
  object: `build/obj/app/${source}.o`,
  depfile: `build/obj/app/${source}` + '.d',
  ...extra,
});

describe('compact strings', () => {
  it('flat keeps the text, for every length', () => {
    for (const s of ['', 'a', 'ab', `${'x'.repeat(20)}:${12345678901234567890n}`]) expect(flat(s)).toBe(s);
  });

  it('a pool hands out one instance per text', () => {
    const pool = new StringPool();
    const a = pool.intern(['-fdebug-prefix', '-map=/p'].join(''));
    expect(pool.intern('-fdebug-prefix' + '-map=/p')).toBe(a);
    expect(pool.intern('other')).toBe('other');
  });

  it('a compacted job equals its original, with or without a build id and a PCH', () => {
    const pool = new StringPool();
    for (const extra of [{}, { build_id: 'b-1' }, { build_id: 'b-1', pch: 'build/pch/app/x.hpp.gch' }]) {
      const job = jobOf('src/a.cpp', extra);
      const out = compactJob(job, pool);
      expect(out).toEqual(job);
      expect(Object.keys(out).sort()).toEqual(Object.keys(job).sort());
      expect(out.args.at(-1)).toBe(job.source);
    }
  });
});
