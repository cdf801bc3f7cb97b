// The watcher: native events (native-watcher.ts, one fs.watch per directory) or, with
// use_polling, chokidar polling every file. Either way only raw events count: every raw fs
// event, delivered synchronously and in kernel order, names a path the service re-stats
// and re-hashes. That order is also what makes sync cookies work. Chokidar's own
// add/change/unlink events are lossy by design at short time scales (a change within 50 ms
// of the last one is throttled away, a change in the same mtime tick is dropped, atomic
// mode delays unlinks by 100 ms), so they are only hints.

import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { FSWatcher } from 'chokidar';
import { NativeWatcher } from './native-watcher.js';

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

/** A running watcher of either kind. */
export interface TreeWatcher {
  /** Whether it polls (no ordered events to sync with). */
  readonly polling: boolean;
  close(): Promise<void>;
}

/** Resolves once the trees are read and every watch is set up. Natively, a watcher of our
 *  own (native-watcher.ts); when polling (the option, or CHOKIDAR_USEPOLLING as chokidar
 *  reads it), chokidar: polling has no directory events that name entries, so there
 *  every file keeps its own poll, which chokidar does well. */
export async function startTreeWatcher(opts: WatcherOptions): Promise<TreeWatcher> {
  const raw = new RawEvents(opts);
  return effectivePolling(opts.usePolling) ? ChokidarWatcher.start(opts, raw) : NativeWatcher.start(opts, raw);
}

/** Raw events, from either watcher, to the sink; and the overflow guess. */
export class RawEvents {
  private windowStart = 0;
  private windowCount = 0;
  private readonly threshold = overflowThreshold();

  constructor(private readonly opts: WatcherOptions) {}

  trouble(reason: string, err?: Error): void {
    this.opts.sink.trouble(reason, err);
  }

  /** trouble() about a failure: `what` failed, with the error's code and message. */
  failed(what: string, e: unknown): void {
    this.trouble(`${what}: ${errText(e)}`, e instanceof Error ? e : undefined);
  }

  /** `watchedPath`: the directory (or file) whose watch reported it; undefined for a
   *  polled path, which is then `evPath` itself. */
  event(ev: string, evPath: string | null, watchedPath: string | undefined): void {
    const now = Date.now();
    if (now - this.windowStart > 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (++this.windowCount === this.threshold) this.opts.sink.trouble(`${this.threshold} fs events within a second: the event queue may have overflowed`);
    const { sink, isIgnored, isCookieName } = this.opts;
    if (watchedPath === undefined) {
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

/** Chokidar, polling: a poll per file and per directory. */
class ChokidarWatcher implements TreeWatcher {
  readonly polling = true;

  private constructor(private readonly fsw: FSWatcher) {}

  static async start(opts: WatcherOptions, raw: RawEvents): Promise<ChokidarWatcher> {
    // Loaded only here: a daemon watching natively never pays for chokidar's modules.
    const { watch } = await import('chokidar');
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
      usePolling: true,
      interval: opts.interval,
      binaryInterval: opts.interval,
      ignored: (p: string, stats?: { isDirectory(): boolean }) =>
        opts.isIgnored(p) || opts.isCookieName(basename(p)) || (stats?.isDirectory() === true && opts.isRootAlias(p)),
    });
    fsw.on('raw', (ev, path, details) => {
      const watchedPath = (details as { watchedPath?: unknown } | undefined)?.watchedPath;
      raw.event(String(ev), path, typeof watchedPath === 'string' ? watchedPath : undefined);
    });
    // The raw events of a polled directory do not name the entry: the semantic ones do.
    fsw.on('all', (_ev, path) => {
      if (!opts.isIgnored(path)) opts.sink.hint(path, false);
    });
    fsw.on('error', (err) => raw.failed('watcher error', err));
    await new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
    return new ChokidarWatcher(fsw);
  }

  close(): Promise<void> {
    return this.fsw.close();
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
