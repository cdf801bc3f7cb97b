// A hit writes a depfile only where the TU's own flags ask for one (-MD, -MMD): nothing
// of replibuild reads it back, and in a warm clean rebuild a second file per TU is most
// of the cost. Where it is written it must be the compiler's, retargeted; where it is
// not, a depfile left from an earlier compile must not survive to name other headers.

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { compile, setup, type Env } from './cache-fixtures.js';

let env: Env & { dispose(): void };
afterEach(() => env?.dispose());

describe('the depfile of a cache hit', () => {
  it('is not written when the flags do not ask for one, and a stale one is removed', async () => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('include/a.h', 'int a();\n');
    p.write('include/b.h', 'int b();\n');
    p.write('src/x.cpp', '#include "a.h"\nint x() { return a(); }\n');
    await p.settle();
    const job = p.job('src/x.cpp', ['-Iinclude']);
    const miss = await compile(cache, job, run);
    expect(miss.outcome).toBe('compiled');
    // The miss leaves the compiler's depfile: the record of the compile that ran.
    expect(p.text(job.depfile)).toContain('include/a.h');

    p.rm('build');
    const hit = await compile(cache, job, run);
    expect(hit.outcome).toBe('cached');
    expect(hit.headers).toEqual(miss.headers);
    expect(hit.headers).toContain('include/a.h');
    expect(existsSync(p.path(job.depfile))).toBe(false);

    // A depfile from some other compile of this output (another header set) is gone after a hit.
    p.write(job.depfile, `${job.object}: src/x.cpp include/b.h\n`);
    expect((await compile(cache, job, run)).outcome).toBe('cached');
    expect(existsSync(p.path(job.depfile))).toBe(false);
    expect(run.calls).toBe(1);
  });

  it.each([['-MD'], ['-MMD']])('is written, retargeted to the object asked for, under %s', async (flag) => {
    env = await setup();
    const { p, cache, run } = env;
    p.write('include/a.h', 'int a();\n');
    p.write('src/x.cpp', '#include "a.h"\n#include <cstddef>\nint x() { return a() + sizeof(std::size_t); }\n');
    await p.settle();
    const j1 = p.job('src/x.cpp', ['-Iinclude', flag], 'build/one/x.o');
    const j2 = p.job('src/x.cpp', ['-Iinclude', flag], 'build/two/x.o');
    expect((await compile(cache, j1, run)).outcome).toBe('compiled');
    expect((await compile(cache, j2, run)).outcome).toBe('cached');
    const dep = p.text(j2.depfile);
    expect(dep).toBe(p.text(j1.depfile).replace('build/one/x.o', 'build/two/x.o'));
    expect(dep.startsWith('build/two/x.o: src/x.cpp')).toBe(true);
    expect(dep.includes('cstddef')).toBe(flag === '-MD');
  });
});
