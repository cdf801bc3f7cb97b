// Every read the discovery service makes goes through this interface, so tests can
// count them: the point of the service is that a no-op build reads and stats nothing.

import { readdir, stat } from 'node:fs/promises';
import PQueue from 'p-queue';
import { sha256File } from '../../fs/file-hash.js';
import { kindOf, type FileKind } from '../../fs/stat-stamp.js';

export type { FileKind };

export interface FileStat {
  kind: FileKind;
  size: number;
  mtime_ns: bigint;
  ctime_ns: bigint;
  ino: bigint;
  /** Left out by test doubles; stamps then match on the other fields. */
  dev?: bigint;
}

export interface DirEntryInfo {
  name: string;
  /** 'symlink' is resolved by the caller with stat (links are followed, as chokidar does). */
  kind: FileKind | 'symlink';
}

export interface DiscoveryIO {
  /** Follows symlinks; null when the path does not exist (or is unreachable). */
  stat(abs: string): Promise<FileStat | null>;
  /** sha256 hex of the content; null when the file is gone or not a readable file. */
  hashFile(abs: string): Promise<string | null>;
  /** null when the directory is gone or unreadable. */
  readdir(abs: string): Promise<DirEntryInfo[] | null>;
}

/** Errors meaning "there is no readable file here": anything else is a real I/O failure. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'EISDIR', 'EACCES', 'EPERM', 'ELOOP', 'ENAMETOOLONG']);

export function isAbsentError(e: unknown): boolean {
  return ABSENT.has((e as NodeJS.ErrnoException)?.code ?? '');
}

/** 16 KB: a source or header is mostly smaller (one read), and a bigger one takes a few
 *  more reads, where each kept buffer is memory for the daemon's whole life (at 64 KB the
 *  spares were 2 MB of discovery's idle heap at 5,000 TUs). */
const READ_BUFFER = 16 * 1024;
/** Concurrent reads at most (nodeIO's default), so spare buffers at most. */
const MAX_OPEN = 32;
/** Read buffers given back by finished hashes. One each would be memory outside V8's
 *  heap per file, freed only by a later GC: a scan of 20,000 files made discovery's
 *  peak RSS several times its idle one. At most one per concurrent read is kept. */
const spareBuffers: Buffer[] = [];

/** The file's sha256, or null when it is gone (or was never a readable file). */
export async function hashOrNull(abs: string): Promise<string | null> {
  const buf = spareBuffers.pop() ?? Buffer.allocUnsafe(READ_BUFFER);
  try {
    return await sha256File(abs, buf);
  } catch (e) {
    if (isAbsentError(e)) return null;
    throw e;
  } finally {
    if (spareBuffers.length < MAX_OPEN) spareBuffers.push(buf);
  }
}

export function nodeIO(maxOpen = MAX_OPEN): DiscoveryIO {
  // Bounds open descriptors: a rescan of 20,000 files must not hit EMFILE.
  const files = new PQueue({ concurrency: maxOpen });
  return {
    async stat(abs) {
      try {
        const s = await stat(abs, { bigint: true });
        return { kind: kindOf(s), size: Number(s.size), mtime_ns: s.mtimeNs, ctime_ns: s.ctimeNs, ino: s.ino, dev: s.dev };
      } catch (e) {
        if (isAbsentError(e)) return null;
        throw e;
      }
    },
    hashFile: (abs) => files.add(() => hashOrNull(abs)),
    async readdir(abs) {
      try {
        const ents = await files.add(() => readdir(abs, { withFileTypes: true }));
        return ents.map((d) => ({
          name: d.name,
          kind: d.isSymbolicLink() ? 'symlink' : d.isFile() ? 'file' : d.isDirectory() ? 'dir' : 'other',
        }));
      } catch (e) {
        if (isAbsentError(e)) return null;
        throw e;
      }
    },
  };
}
