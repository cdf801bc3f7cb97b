// Outputs are written to a temp name beside their final one and renamed into
// place, so readers (and the next build) see the old file or the new one, never
// a torn mix. The temp name carries the writer's pid, so temps left by a killed
// writer can be told apart from a live one's and swept.
import { randomBytes } from 'node:crypto';
import { closeSync, fsync, openSync, readdirSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { isAlive } from './proc.js';

const TEMP_RE = /\.tmp-(\d+)-[0-9a-f]{8}$/;

/** A fresh temp path beside `path` for this process. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

let tempCounter = randomBytes(4).readUInt32BE(0);

/** A temp suffix (same shape as tempPathFor's) without asking the CSPRNG each time: the
 *  pid keeps processes apart and the counter keeps this process's temps apart. For
 *  hot paths that write many files (a compile-cache hit writes two). */
export function tempSuffix(): string {
  tempCounter = (tempCounter + 1) >>> 0;
  return `.tmp-${process.pid}-${tempCounter.toString(16).padStart(8, '0')}`;
}

/** Write a file atomically (temp + rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = tempPathFor(path);
  try {
    writeFileSync(tmp, data, { mode });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export interface AtomicWriteOptions {
  mode?: number;
  /** Mode of the directory if it has to be made (default: 0777 less the umask). */
  dirMode?: number;
  /** fsync before the rename, for state that must survive a power cut, not just a crash. */
  sync?: boolean;
  /** Make missing directories only below this one, never it (makeDirWithin): for a
   *  project's state, whose saves must not bring back a project that was removed. */
  within?: string;
}

/**
 * Makes `dir` and its missing parents up to `within`, but never `within` itself: a daemon
 * saving its state while its project is removed (`rm -rf`) would otherwise make the
 * project's directories again, so that the removal fails (ENOTEMPTY) or leaves them
 * behind. With `within` gone the result is ENOENT. A `dir` outside `within` is made as
 * `mkdir -p` would: it is not the project's to guard.
 */
export async function makeDirWithin(within: string, dir: string, mode?: number): Promise<void> {
  const rel = relative(within, dir);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    if (rel === '') await stat(within);
    else await mkdir(dir, { recursive: true, mode });
    return;
  }
  let at = within;
  for (const part of rel.split(sep)) {
    at = join(at, part);
    try {
      await mkdir(at, { mode });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
}

/** The directory a write of `path` needs, made as `opts` says. */
function makeDirFor(path: string, opts: AtomicWriteOptions): Promise<unknown> {
  return opts.within ? makeDirWithin(opts.within, dirname(path), opts.dirMode) : mkdir(dirname(path), { recursive: true, mode: opts.dirMode });
}

/** The async form, creating the directory; the mode is set explicitly so a umask
 *  cannot make a restored executable unrunnable. */
export async function writeFileAtomicAsync(path: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): Promise<void> {
  await makeDirFor(path, opts);
  const tmp = tempPathFor(path);
  try {
    const fh = await open(tmp, 'w', opts.mode ?? 0o644);
    try {
      await fh.writeFile(data);
      if (opts.mode !== undefined) await chmod(tmp, opts.mode);
      if (opts.sync) await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Text pieces of at most about this many chars, for the piecewise writers below. */
export const PIECE_CHARS = 64 * 1024;

/** Writes `pieces` to `fd` as they come: the text is never whole in memory. */
function writePieces(fd: number, pieces: Iterable<string>): void {
  for (const piece of pieces) {
    const b = Buffer.from(piece);
    for (let off = 0; off < b.length; ) off += writeSync(fd, b, off);
  }
}

/** writeFileSync of text given in pieces. */
export function writePiecesSync(path: string, pieces: Iterable<string>, mode = 0o644): void {
  const fd = openSync(path, 'w', mode);
  try {
    writePieces(fd, pieces);
  } finally {
    closeSync(fd);
  }
}

/** writeFileAtomic of text given in pieces (temp + rename). */
export function writePiecesAtomic(path: string, pieces: Iterable<string>, mode = 0o644): void {
  const tmp = tempPathFor(path);
  try {
    writePiecesSync(tmp, pieces, mode);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/**
 * writeFileAtomicAsync of a big state's text, made piece by piece by `pieces()` and
 * written as it comes: made whole first, a 20,000-TU state's text and its UTF-8 copy were
 * tens of MB held at once, on every save. `pieces()` runs after the directory is made,
 * and it and the writes run in one synchronous stretch, so the text is as consistent a
 * snapshot of what it is made from as a text made whole would be; the fsync and the
 * rename are asynchronous.
 */
export async function writePiecesAtomicAsync(path: string, pieces: () => Iterable<string>, opts: AtomicWriteOptions = {}): Promise<void> {
  await makeDirFor(path, opts);
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, 'w', opts.mode ?? 0o644);
    try {
      writePieces(fd, pieces());
      if (opts.mode !== undefined) await chmod(tmp, opts.mode);
      if (opts.sync) await new Promise<void>((res, rej) => fsync(fd, (e) => (e ? rej(e) : res())));
    } finally {
      closeSync(fd);
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** Remove temp files in `dirs` whose writer process is gone. Returns how many. */
export function sweepStaleTemps(dirs: Iterable<string>): number {
  let removed = 0;
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = TEMP_RE.exec(name);
      if (!m || isAlive(Number(m[1]))) continue;
      rmSync(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}
