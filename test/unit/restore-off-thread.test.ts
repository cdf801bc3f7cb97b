// A batch of hits restores on libuv's pool (restore.ts restoreResultOffThread), a single
// TU synchronously (restoreResult): both must leave the same files, answer the same, stay
// atomic and turn a vanished source into ObjectGoneError (the caller then recompiles).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ObjectGoneError, restoreResult, restoreResultOffThread } from '../../cache/restore.js';
import type { ResultMeta } from '../../cache/result.js';
import type { CompileJob } from '../../protocol/build.js';
import type { RunnerIdentity } from '../../toolchain/compile-runner.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-restore-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const identity: RunnerIdentity = { path: '/usr/bin/g++', id: 'g++ test', cache_id: 'g++ test', kind: 'gcc' } as RunnerIdentity;
const meta: ResultMeta = {
  depfile: 'stored/a.cpp.o: src/a.cpp include/a.h\n',
  depfileTarget: 'stored/a.cpp.o',
  stderr: 'a warning\n',
  createdMs: 0,
  headers: ['include/a.h'],
};
const OBJECT = Buffer.from('\x7fELF restored object bytes '.repeat(100));

function job(root: string, args: string[] = ['-c', 'src/a.cpp']): CompileJob {
  return { cwd: root, compiler: 'g++', args, source: 'src/a.cpp', object: 'build/obj/a.cpp.o', depfile: 'build/obj/a.cpp.d' };
}

/** Every file under `root`, by relative path, with its bytes. */
function files(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = join(e.parentPath, e.name);
    out.set(p.slice(root.length + 1), readFileSync(p, 'latin1'));
  }
  return out;
}

for (const args of [['-c', 'src/a.cpp'], ['-MD', '-c', 'src/a.cpp']]) {
  it(`leaves the same files and answer on the pool as synchronously (${args.join(' ')})`, async () => {
    const sync = join(dir, 'sync');
    const pool = join(dir, 'pool');
    // A depfile left by an earlier compile: removed (or replaced) by both.
    for (const root of [sync, pool]) {
      mkdirSync(join(root, 'build/obj'), { recursive: true });
      writeFileSync(join(root, 'build/obj/a.cpp.d'), 'old: stale.h\n');
    }
    const a = restoreResult(job(sync, args), identity, meta, 0, (to) => writeFileSync(to, OBJECT));
    const b = await restoreResultOffThread(job(pool, args), identity, meta, 0, async (to) => writeFileSync(to, OBJECT));
    expect({ ...b, duration_ms: 0 }).toEqual({ ...a, duration_ms: 0 });
    expect(files(pool)).toEqual(files(sync));
    expect(readFileSync(join(pool, 'build/obj/a.cpp.o'))).toEqual(OBJECT);
    expect(existsSync(join(pool, 'build/obj/a.cpp.d'))).toBe(args.includes('-MD'));
  });
}

it('creates a missing build directory on the pool (rm -rf build)', async () => {
  const root = join(dir, 'fresh');
  const src = join(dir, 'content');
  writeFileSync(src, OBJECT);
  const r = await restoreResultOffThread(job(root), identity, meta, 0, (to) => copyFile(src, to));
  expect(r.outcome).toBe('cached');
  expect(readFileSync(join(root, 'build/obj/a.cpp.o'))).toEqual(OBJECT);
  expect([...files(root).keys()]).toEqual(['build/obj/a.cpp.o']);
});

it('a content file gone while copying is ObjectGoneError, with no temp file left and the old object kept', async () => {
  const root = join(dir, 'gone');
  mkdirSync(join(root, 'build/obj'), { recursive: true });
  writeFileSync(join(root, 'build/obj/a.cpp.o'), 'the previous object');
  const missing = join(dir, 'evicted-content');
  await expect(restoreResultOffThread(job(root), identity, meta, 0, (to) => copyFile(missing, to))).rejects.toBeInstanceOf(ObjectGoneError);
  expect(files(root)).toEqual(new Map([['build/obj/a.cpp.o', 'the previous object']]));
  // And so does the synchronous form.
  expect(() => restoreResult(job(root), identity, meta, 0, (to) => writeFileSync(to, readFileSync(missing)))).toThrow(ObjectGoneError);
  expect(files(root)).toEqual(new Map([['build/obj/a.cpp.o', 'the previous object']]));
});
