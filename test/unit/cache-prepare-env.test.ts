// TuPreparer reads the environment once per build (prepare.ts): a change between builds
// reaches the next build's keys; within one build the first reading holds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { FileInfoCache } from '../../cache/fs-snapshot.js';
import { TuPreparer } from '../../cache/prepare.js';
import type { CompileJob } from '../../protocol/build.js';
import type { RunnerIdentity } from '../../toolchain/compile-runner.js';

const dir = mkdtempSync(join(tmpdir(), 'replibuild-prepare-env-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('an environment change reaches the next build, not the rest of this one', () => {
  writeFileSync(join(dir, 'a.cpp'), 'int a() { return 1; }\n');
  const files = new FileInfoCache(0);
  const env: NodeJS.ProcessEnv = {};
  const prep = new TuPreparer(files, env, files, false);
  const identity = { id: 'gcc', cache_id: 'gcc', kind: 'gcc' } as unknown as RunnerIdentity;
  const job = (build_id: string): CompileJob => ({ cwd: dir, compiler: 'g++', args: ['-O2', '-c', 'a.cpp'], source: 'a.cpp', object: 'a.o', depfile: 'a.d', build_id });
  const key = (build_id: string) => {
    const p = prep.prepare(job(build_id), identity);
    if ('uncacheable' in p) throw new Error(p.detail);
    return p.key1;
  };
  const before = key('b1');
  env.CPATH = '/extra';
  expect(key('b1')).toBe(before);
  const after = key('b2');
  expect(after).not.toBe(before);
  delete env.CPATH;
  expect(key('b3')).toBe(before);
});
