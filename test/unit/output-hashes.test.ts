// A build's outputs are read once per build (output-hashes.ts), even when they are too
// new for the hasher to remember, and read again as soon as their stamp moves.
import { afterEach, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatCachingHasher } from '../../daemons/orchestrator/file-hasher.js';
import { OutputHashes } from '../../daemons/orchestrator/output-hashes.js';
import { contentStampKeyOf } from '../../fs/stat-stamp.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-outputs-'));
  dirs.push(root);
  // The default racy window: files written just now are never remembered by the hasher.
  const hasher = new StatCachingHasher(root);
  return { root, hasher, outputs: new OutputHashes(root, hasher) };
}

it('a fresh output is read once for all its uses in a build', async () => {
  const { root, hasher, outputs } = setup();
  writeFileSync(join(root, 'a.o'), 'object one');
  for (let i = 0; i < 3; i++) expect(await outputs.hash('a.o')).toBe(sha('object one'));
  expect(hasher.counters.reads).toBe(1);
  // The hasher alone reads it each time: it is within its racy window.
  await hasher.hash('a.o');
  expect(hasher.counters.reads).toBe(2);
});

it('an output rewritten in place or replaced is read again; a removed one is null', async () => {
  const { root, hasher, outputs } = setup();
  const file = join(root, 'a.o');
  writeFileSync(file, 'object one');
  expect(await outputs.hash('a.o')).toBe(sha('object one'));
  appendFileSync(file, ' and more');
  expect(await outputs.hash('a.o')).toBe(sha('object one and more'));
  // Same size, new inode (a restore's temp + rename).
  writeFileSync(join(root, 'tmp'), 'object two and more');
  renameSync(join(root, 'tmp'), file);
  expect(await outputs.hash('a.o')).toBe(sha('object two and more'));
  expect(hasher.counters.reads).toBe(3);
  rmSync(file);
  expect(await outputs.hash('a.o')).toBeNull();
  writeFileSync(file, 'object one');
  expect(await outputs.hash('a.o')).toBe(sha('object one'));
});

it('an output the link cache restored is taken at its recorded hash while it is as written, even after a rename', async () => {
  const { root, hasher, outputs } = setup();
  const tmp = join(root, 'app.tmp');
  writeFileSync(tmp, 'linked bytes');
  const restored = { sha256: sha('linked bytes'), stamp: contentStampKeyOf(statSync(tmp, { bigint: true })) };
  renameSync(tmp, join(root, 'app'));
  expect(outputs.restored('app', restored)).toBe(sha('linked bytes'));
  expect(await outputs.hash('app')).toBe(sha('linked bytes'));
  expect(hasher.counters.reads).toBe(0);
  // Written since: not taken, and read.
  appendFileSync(join(root, 'app'), '!');
  expect(outputs.restored('app', restored)).toBeNull();
  expect(await outputs.hash('app')).toBe(sha('linked bytes!'));
  expect(hasher.counters.reads).toBe(1);
});
