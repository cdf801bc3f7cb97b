// Native events without chokidar: one fs.watch (one inotify watch) per directory. A
// directory's watch already names every entry written, created, removed or renamed in
// it, so all this adds is the tree's shape: a directory that appears is watched (and
// its entries hinted, as they may predate the watch), one that goes is unwatched. The
// directory is listed only then, on a `rename` event that names a directory; chokidar
// re-read a watched directory (readdir and an lstat of every entry) on every event in it,
// a write to an existing file included: 20–26 ms of CPU per edit in a directory of 200
// sources, ~250 ms at 2,000 (3–7 and 3 ms here). Polling (use_polling) stays with chokidar
// (watcher.ts).
// A watch per file would only add a handle, a listener set and an inotify watch per file
// (most of discovery's memory at 20,000 TUs when chokidar did that). What a directory
// watch cannot see: a write through a hard link that lives in an unwatched directory.

import { statSync, watch, type FSWatcher } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { RawEvents, WatcherOptions } from './watcher.js';

interface Watch {
  fsw: FSWatcher;
  /** The directory's inode when watched: a directory renamed over it is another one. */
  ino: number;
  /** Its real path, when it was reached through a symlink (see followed). */
  real?: string;
}

export class NativeWatcher {
  readonly polling = false;
  private readonly watches = new Map<string, Watch>();
  /** Real paths of symlinked directories followed, each once (as chokidar and the walk do). */
  private readonly followed = new Set<string>();
  private closed = false;

  private constructor(
    private readonly opts: WatcherOptions,
    private readonly raw: RawEvents,
  ) {}

  /** Resolves once every directory under the roots is watched. */
  static async start(opts: WatcherOptions, raw: RawEvents): Promise<NativeWatcher> {
    const w = new NativeWatcher(opts, raw);
    await Promise.all(opts.roots.map((r) => w.addTree(r, true)));
    return w;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const { fsw } of this.watches.values()) fsw.close();
    this.watches.clear();
  }

  /** Watches `dir` and every directory under it; `initial`: the start's walk, whose files
   *  the service scans itself. Otherwise the directory is new, and so is what is in it. */
  private async addTree(dir: string, initial: boolean, real?: string): Promise<void> {
    if (this.closed || this.watches.has(dir)) return;
    if (!this.watchOne(dir, real)) {
      if (real !== undefined) this.followed.delete(real);
      return;
    }
    let entries;
    try {
      // Listed after its watch is set: an entry made after the listing has its event.
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // gone again, or unreadable (the service's walk reports that)
    }
    await Promise.all(
      entries.map(async (e) => {
        const p = join(dir, e.name);
        if (this.opts.isCookieName(e.name) || this.opts.isIgnored(p)) return;
        const link = e.isSymbolicLink() ? await this.followable(p) : undefined;
        if (e.isDirectory() || link) await this.addTree(p, initial, link?.real);
        else if (!initial) this.opts.sink.hint(p, false);
      }),
    );
  }

  /** A symlink to a directory that is neither a root's alias nor a target followed
   *  already: its real path, now taken; undefined for any other symlink. */
  private async followable(p: string): Promise<{ real: string } | undefined> {
    const st = await stat(p).catch(() => null);
    if (!st?.isDirectory() || this.opts.isRootAlias(p)) return undefined;
    const real = await realpath(p).catch(() => p);
    if (this.followed.has(real)) return undefined;
    this.followed.add(real);
    return { real };
  }

  private watchOne(dir: string, real?: string): boolean {
    let ino: number;
    let fsw: FSWatcher;
    try {
      ino = statSync(dir).ino;
      fsw = watch(dir, { persistent: true }, (ev, name) => this.onEvent(dir, ev, name));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Gone before it was watched (its parent's event says so), or not ours to read: skipped, as chokidar does.
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && code !== 'EACCES' && code !== 'EPERM') {
        this.raw.failed(`cannot watch ${dir}`, e);
      }
      return false;
    }
    fsw.on('error', (err) => {
      // Watched again from scratch; the service rescans, since events may have been lost.
      const w = this.watches.get(dir);
      this.unwatchTree(dir);
      void this.addTree(dir, false, w?.real);
      this.raw.failed(`watcher error on ${dir}`, err);
    });
    this.watches.set(dir, { fsw, ino, ...(real !== undefined ? { real } : {}) });
    return true;
  }

  private onEvent(dir: string, ev: string, name: string | Buffer | null): void {
    if (this.closed) return;
    const entry = name === null ? null : String(name);
    this.raw.event(ev, entry, dir);
    // Only a rename (an entry created, removed or moved) can change the tree's shape.
    if (ev !== 'rename' || entry === null || this.opts.isCookieName(entry)) return;
    const p = join(dir, entry);
    if (!this.opts.isIgnored(p)) this.recheck(p);
    // The watched directory itself removed or moved (its own event names it).
    if (entry === basename(dir)) this.recheck(dir);
  }

  /** Brings the watches at `p` in line with what is there now. */
  private recheck(p: string): void {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      st = undefined;
    }
    const w = this.watches.get(p);
    if (w && st?.isDirectory() && st.ino === w.ino) return;
    // Gone, no longer a directory, or another directory renamed over it.
    this.unwatchTree(p);
    if (!st?.isDirectory()) return;
    void this.addNew(p);
  }

  private async addNew(p: string): Promise<void> {
    const parent = this.watches.get(dirname(p));
    // Only under a watched directory: a root's own rename event must not bring it back here.
    if (!parent) return;
    let real: string | undefined;
    try {
      if ((await lstat(p)).isSymbolicLink()) {
        const link = await this.followable(p);
        if (!link) return;
        real = link.real;
      }
    } catch {
      return;
    }
    await this.addTree(p, false, real);
  }

  private unwatchTree(dir: string): void {
    for (const [d, w] of this.watches) {
      if (d === dir || d.startsWith(dir + '/')) {
        w.fsw.close();
        this.watches.delete(d);
        if (w.real !== undefined) this.followed.delete(w.real);
      }
    }
  }
}
