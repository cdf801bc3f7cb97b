// A build's outputs are read once per build (output-hashes.ts), even when they are too
// new for the hasher to remember, and read again as soon as their stamp moves.
import { afterEach, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatCachingHasher } from '../../daemons/orchestrator/file-hasher.js';
import { OutputHashes } from '../../daemons/orchestrator/output-hashes.js';
import { contentStampKeyOf, stampKeyOf } from '../../fs/stat-stamp.js';

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

it('knownAt(): what this build read, else what the hasher kept, each with the stamp it was read under; nothing else, and no read', async () => {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-outputs-'));
  dirs.push(root);
  // No racy window: the hasher keeps what it reads at once.
  const hasher = new StatCachingHasher(root, { racyWindowMs: 0 });
  const outputs = new OutputHashes(root, hasher);
  writeFileSync(join(root, 'old.o'), 'kept by the hasher');
  writeFileSync(join(root, 'new.o'), 'read in this build');
  writeFileSync(join(root, 'never.o'), 'never read');
  await hasher.hash('old.o');
  await outputs.hash('new.o');
  const reads = hasher.counters.reads;
  const stamp = (f: string) => stampKeyOf(statSync(join(root, f), { bigint: true }));
  expect(outputs.knownAt(join(root, 'old.o'))).toMatchObject({ stamp: stamp('old.o'), hash: sha('kept by the hasher') });
  expect(outputs.knownAt(join(root, 'new.o'))).toMatchObject({ stamp: stamp('new.o'), hash: sha('read in this build') });
  expect(outputs.knownAt(join(root, 'never.o'))).toBeUndefined();
  // Rewritten since: knownAt() still answers the old stamp (it takes none), which no longer matches.
  appendFileSync(join(root, 'old.o'), '!');
  expect(outputs.knownAt(join(root, 'old.o'))!.stamp).not.toBe(stamp('old.o'));
  expect(hasher.counters.reads).toBe(reads);
});
