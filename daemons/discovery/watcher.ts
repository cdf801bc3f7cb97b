// The chokidar side. Chokidar's own add/change/unlink events are lossy by design at
// short time scales (a change within 50 ms of the last one is throttled away, a
// change in the same mtime tick is dropped, atomic mode delays unlinks by 100 ms),
// so they are only hints here: every raw fs event, delivered synchronously and in
// kernel order, names a path the service re-stats and re-hashes. That order is also
// what makes sync cookies work.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

export interface WatcherSink {
  /** Something happened at `abs`. `self`: the event is about a watched file or dir
   *  itself (a file's own watch), not about an entry of a directory. */
  hint(abs: string, self: boolean): void;
  /** A cookie-named entry appeared in a watched directory. */
  cookie(name: string, dir: string): void;
  /** An event came through the watch of `watchedPath`, so that watch exists. */
  active(watchedPath: string): void;
  /** A watcher error, or so many events that the kernel queue may have overflowed. */
  trouble(reason: string, err?: Error): void;
}

export interface WatcherOptions {
  roots: readonly string[];
  usePolling: boolean;
  interval: number;
  isIgnored(abs: string): boolean;
  /** A symlink to a root or to a dir around one: never followed (it would watch the
   *  project again, or a whole parent tree). Asked of directories only. */
  isRootAlias(abs: string): boolean;
  isCookieName(name: string): boolean;
  sink: WatcherSink;
}

/** Node does not surface inotify's IN_Q_OVERFLOW; past half the kernel queue in one
 *  second we assume events may have been lost and let the service rescan. */
function overflowThreshold(): number {
  try {
    const n = Number(readFileSync('/proc/sys/fs/inotify/max_queued_events', 'utf8').trim());
    if (Number.isFinite(n) && n > 0) return Math.floor(n / 2);
  } catch {
    /* not Linux */
  }
  return 8192;
}

export class TreeWatcher {
  private windowStart = 0;
  private windowCount = 0;
  private readonly threshold = overflowThreshold();

  private constructor(
    private readonly fsw: FSWatcher,
    private readonly opts: WatcherOptions,
  ) {}

  /** Resolves once chokidar has read the trees and set its watches up. */
  static async start(opts: WatcherOptions): Promise<TreeWatcher> {
    // Directory-level watches: natively a directory's inotify watch already reports every
    // write, create, delete, rename and attribute change of its entries by name, so a
    // watch per file (chokidar's default) only costs a handle, a listener set and an
    // inotify watch per file: most of discovery's memory at 20,000 TUs. Files are kept
    // out of chokidar (they still appear in its raw directory events); symlinks are stat'ed
    // through, so a link to a file is left out the same way. Polling has no directory
    // events that name entries, so there every file keeps its own poll. What a directory
    // watch cannot see: a write through a hard link that lives in an unwatched directory.
    const dirsOnly = !effectivePolling(opts.usePolling);
    const roots = new Set(opts.roots);
    const fsw = watch([...opts.roots], {
      ignoreInitial: true,
      // Atomic mode delays unlink events by 100 ms and hides some names; we want raw truth.
      atomic: false,
      awaitWriteFinish: false,
      followSymlinks: true,
      persistent: true,
      // An unreadable directory is skipped by our own walks as well; an error storm about
      // it would only cause rescans.
      ignorePermissionErrors: true,
      usePolling: opts.usePolling,
      interval: opts.interval,
      binaryInterval: opts.interval,
      // Chokidar asks this of every entry each time it re-reads a directory, which it does
      // on every event there: with directory-level watches, a file (the most entries) is
      // left out on its stats alone, before the path is matched against the scope.
      ignored: (p: string, stats?: { isDirectory(): boolean; isFile(): boolean }) =>
        (dirsOnly && stats?.isFile() === true && !roots.has(p)) ||
        opts.isIgnored(p) ||
        opts.isCookieName(basename(p)) ||
        (stats?.isDirectory() === true && opts.isRootAlias(p)),
    });
    const w = new TreeWatcher(fsw, opts);
    fsw.on('raw', (ev, path, details) => w.onRaw(String(ev), path, details));
    fsw.on('all', (ev, path) => {
      // Natively every one of these also came as a raw event; under polling the raw
      // events of a directory do not name the entry, so the semantic ones matter.
      if (ev === 'change' && !w.polling) return;
      if (!opts.isIgnored(path)) opts.sink.hint(path, false);
    });
    fsw.on('error', (err) => opts.sink.trouble(`watcher error: ${errText(err)}`, err instanceof Error ? err : undefined));
    await new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
    return w;
  }

  /** What chokidar actually does: CHOKIDAR_USEPOLLING in the environment overrides the option. */
  get polling(): boolean {
    return this.fsw.options.usePolling;
  }

  close(): Promise<void> {
    return this.fsw.close();
  }

  private onRaw(ev: string, evPath: string | null, details: unknown): void {
    const now = Date.now();
    if (now - this.windowStart > 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount === this.threshold) this.opts.sink.trouble(`${this.threshold} fs events within a second: the event queue may have overflowed`);
    const { sink, isIgnored, isCookieName } = this.opts;
    const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
    if (typeof watchedPath !== 'string') {
      // fs.watchFile (polling): evPath is the polled path itself.
      if (evPath && !isIgnored(evPath)) sink.hint(evPath, true);
      return;
    }
    sink.active(watchedPath);
    if (!evPath) {
      if (!isIgnored(watchedPath)) sink.hint(watchedPath, true);
      return;
    }
    if (isCookieName(evPath)) {
      sink.cookie(evPath, watchedPath);
      return;
    }
    // A file's own watch names the file itself; a directory's watch names an entry.
    // Which one this is the name alone cannot say (src/src), so both go out as hints.
    if (basename(watchedPath) === evPath && !isIgnored(watchedPath)) sink.hint(watchedPath, true);
    const entry = join(watchedPath, evPath);
    if (!isIgnored(entry)) sink.hint(entry, false);
  }
}

/** Whether chokidar 5 will poll: a CHOKIDAR_USEPOLLING of false/0 turns it off, any other
 *  non-empty value on, whatever the option (its constructor's rule). */
function effectivePolling(option: boolean): boolean {
  const v = process.env.CHOKIDAR_USEPOLLING?.toLowerCase();
  if (v === 'false' || v === '0') return false;
  if (v !== undefined) return v !== '';
  return option;
}

function errText(e: unknown): string {
  if (e instanceof Error) return `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}`;
  return String(e);
}
