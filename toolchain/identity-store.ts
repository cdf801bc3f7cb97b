// Compiler identities kept on disk between processes. Probing a compiler spawns
// it three times (--version, -dumpfullversion, -dumpmachine): a daemon pays that
// once, but every `--no-daemon` build is a new process and paid it on each run,
// no-op included. An entry is used only while the binary's stat (device, inode,
// size, mtime, ctime) is what it was when probed, and only if its id still hashes
// from its fields: a compiler replaced or edited in place, or a torn or hand-edited
// file, means a fresh probe.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../fs/atomic-write.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../fs/private-files.js';
import type { CompilerIdentity } from '../protocol/build.js';

const FORMAT = 1;

interface Entry {
  stamp: string;
  identity: CompilerIdentity;
}

interface StoreFile {
  format: number;
  entries: Record<string, Entry>;
}

/** What must not change for a probed identity to still hold. ctime moves on any
 *  write, chmod or rename onto the path, even one that keeps size and mtime. */
export function statStamp(st: Stats): string {
  return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
}

/** The ids as compiler-identity.ts computes them, so a stored entry can be checked. */
export function identityIds(fields: Omit<CompilerIdentity, 'id' | 'cache_id'>): { id: string; cache_id: string } {
  const { path, size, mtime_ms, version, machine, kind, ino } = fields;
  const portable = { path, size, mtime_ms, version, machine, kind };
  return {
    id: createHash('sha256').update(JSON.stringify({ ...portable, ino })).digest('hex'),
    cache_id: createHash('sha256').update(JSON.stringify(portable)).digest('hex'),
  };
}

function readStore(file: string): StoreFile {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as StoreFile;
    if (s && s.format === FORMAT && s.entries && typeof s.entries === 'object') return s;
  } catch {
    /* absent or torn: nothing stored */
  }
  return { format: FORMAT, entries: {} };
}

function wellFormed(i: CompilerIdentity | undefined, path: string): i is CompilerIdentity {
  if (!i || i.path !== path) return false;
  if (typeof i.size !== 'number' || typeof i.mtime_ms !== 'number' || typeof i.ino !== 'number') return false;
  if (typeof i.version !== 'string' || typeof i.machine !== 'string' || (i.kind !== 'gcc' && i.kind !== 'clang')) return false;
  const ids = identityIds(i);
  return i.id === ids.id && i.cache_id === ids.cache_id;
}

/** The stored identity of the binary at `path`, if it was probed with this very stat. */
export function loadIdentity(file: string, path: string, stamp: string): CompilerIdentity | null {
  const e = readStore(file).entries[path];
  if (!e || e.stamp !== stamp || !wellFormed(e.identity, path)) return null;
  const { path: p, size, mtime_ms, ino, version, machine, kind, id, cache_id } = e.identity;
  return { path: p, size, mtime_ms, ino, version, machine, kind, id, cache_id };
}

/** Keep `identity` for the binary whose stat was `stamp` while it was probed. Best
 *  effort: a store that cannot be written only costs the next process a probe. */
export function saveIdentity(file: string, path: string, stamp: string, identity: CompilerIdentity): void {
  try {
    const s = readStore(file);
    s.entries[path] = { stamp, identity };
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIR_MODE });
    writeFileAtomic(file, JSON.stringify(s), PRIVATE_FILE_MODE);
  } catch {
    /* read-only or full disk: probe again next time */
  }
}
