import { describe, expect, it } from 'vitest';
import { shareBatchStrings } from '../../daemons/compilation/batch-strings.js';
import type { CompileJob } from '../../protocol/build.js';

/** Each job as JSON.parse gives it: every string its own copy. */
function parsedJobs(n: number): CompileJob[] {
  const jobs: CompileJob[] = Array.from({ length: n }, (_, i) => ({
    cwd: '/p',
    compiler: 'g++',
    args: ['-std=c++17', '-O2', '-Iinclude', '-c', `src/t${i}.cpp`],
    source: `src/t${i}.cpp`,
    object: `build/obj/t${i}.o`,
    depfile: `build/obj/t${i}.d`,
    build_id: 'b1',
  }));
  return JSON.parse(JSON.stringify(jobs)) as CompileJob[];
}

describe('shareBatchStrings', () => {
  it('leaves every job equal to what arrived', () => {
    const jobs = parsedJobs(3);
    const before = JSON.stringify(jobs);
    shareBatchStrings(jobs);
    expect(JSON.stringify(jobs)).toBe(before);
  });

  it('keeps arrays per job: changing one job\'s args changes no other job', () => {
    const jobs = parsedJobs(2);
    shareBatchStrings(jobs);
    expect(jobs[0]!.args).not.toBe(jobs[1]!.args);
    jobs[0]!.args.push('-g');
    expect(jobs[1]!.args).toEqual(['-std=c++17', '-O2', '-Iinclude', '-c', 'src/t1.cpp']);
  });
});
