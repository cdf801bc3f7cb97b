// How a build looks in a terminal, in a log and to a program: one line per TU
// (or a live [n/N] line on a TTY), the compiler's diagnostics verbatim on stderr,
// and a closing line; or, with --json, one summary object and nothing else on stdout.
import type { BuildEvent, BuildSummary } from '../protocol/build.js';
import type { TextOut } from './stdio.js';

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  stdout: TextOut;
  stderr: TextOut;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** gcc's own colours for the severity word, so diagnostics read as they do under make. */
export function colourDiagnostics(text: string): string {
  return text
    .replace(/^(.*?:\d+:\d+: )(fatal error|error)(:)/gm, '\x1b[1m$1\x1b[0;1;31m$2$3\x1b[0m')
    .replace(/^(.*?:\d+:\d+: )(warning)(:)/gm, '\x1b[1m$1\x1b[0;1;35m$2$3\x1b[0m')
    .replace(/^(.*?:\d+:\d+: )(note)(:)/gm, '\x1b[1m$1\x1b[0;1;36m$2$3\x1b[0m');
}

/** How often the live line's clocks move while TUs compile. */
const TICK_MS = 500;

export class BuildOutput {
  private live = '';
  private readonly tty: boolean;
  private readonly colour: boolean;
  /** TUs compiling now, by source, with when we heard they began. */
  private readonly running = new Map<string, number>();
  private progress = { done: 0, total: 0 };
  /** The build's last estimate of the time left, and when it came. */
  private left: { ms: number; at: number } | null = null;
  private ticker: NodeJS.Timeout | null = null;

  constructor(
    private readonly o: OutputOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tty = !o.json && Boolean(o.stdout.isTTY);
    this.colour = Boolean(o.stderr.isTTY) && !process.env.NO_COLOR;
  }

  /** `[2/10] compiling src/a.cpp 3.1s, src/b.cpp 0.4s · ~12s left`: what runs now and
   *  for how long, so a long build moves before its first TU is done. */
  liveLine(): string {
    const t = this.now();
    const names = [...this.running].map(([source, since]) => `${source} ${((t - since) / 1000).toFixed(1)}s`);
    let text = `[${this.progress.done}/${this.progress.total}] compiling ${names.join(', ')}`;
    if (this.left) {
      const s = Math.max(0, this.left.ms - (t - this.left.at)) / 1000;
      text += ` · ~${s < 10 ? s.toFixed(1) : Math.round(s)}s left`;
    }
    return text;
  }

  private showRunning(): void {
    if (!this.tty || this.o.verbose) return;
    if (this.running.size === 0) {
      this.stopTicker();
      return;
    }
    this.setLive(this.liveLine());
    if (!this.ticker) {
      this.ticker = setInterval(() => (this.running.size ? this.setLive(this.liveLine()) : this.stopTicker()), TICK_MS);
      this.ticker.unref();
    }
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = null;
  }

  private noteProgress(e: { done: number; total: number; left_ms?: number }): void {
    this.progress = { done: e.done, total: e.total };
    this.left = e.left_ms === undefined ? null : { ms: e.left_ms, at: this.now() };
  }

  private line(text: string): void {
    if (this.o.json) return;
    this.clearLive();
    this.o.stdout.write(text + '\n');
  }

  private setLive(text: string): void {
    const cols = this.o.stdout.columns || 100;
    this.live = text.length > cols - 1 ? text.slice(0, cols - 2) + '…' : text;
    this.o.stdout.write(`\r\x1b[K${this.live}`);
  }

  private clearLive(): void {
    if (this.live) {
      this.o.stdout.write('\r\x1b[K');
      this.live = '';
    }
  }

  event(e: BuildEvent): void {
    switch (e.type) {
      case 'queued':
        this.line(`waiting for ${e.position} earlier build(s) to finish...`);
        break;
      case 'plan':
        break;
      case 'tu_start':
        this.running.set(e.source, this.now());
        this.noteProgress(e);
        this.showRunning();
        break;
      case 'tu': {
        this.running.delete(e.source);
        this.noteProgress(e);
        const verb = e.outcome === 'compiled' ? 'Compiled' : e.outcome === 'cached' ? 'Cached  ' : 'FAILED  ';
        if (this.o.verbose && e.command) this.line(e.command);
        const text = `[${e.done}/${e.total}] ${verb} ${e.source} (${secs(e.ms)})${e.on ? ` [on ${e.on}]` : ''}`;
        if (this.tty && e.outcome !== 'failed' && !this.o.verbose) {
          if (this.running.size) this.showRunning();
          else {
            this.stopTicker();
            this.setLive(text);
          }
        } else this.line(text);
        break;
      }
      case 'diagnostics':
        // Diagnostics go out unchanged (gcc's file:line:col shape) for editors' problem matchers.
        this.clearLive();
        this.o.stderr.write(this.colour ? colourDiagnostics(e.text) : e.text);
        if (!e.text.endsWith('\n')) this.o.stderr.write('\n');
        break;
      case 'link':
        if (this.o.verbose && e.command) this.line(e.command);
        if (e.unchanged) this.line(`Linking... ${e.output}: not relinked (inputs unchanged)`);
        else this.line(`Linking... ${e.output}${e.cached ? ' (from cache)' : ''} (${secs(e.ms)})`);
        break;
      case 'message':
        if (e.warning) {
          this.clearLive();
          this.o.stderr.write(`${e.text}\n`);
        } else this.line(e.text);
        break;
    }
  }

  /** Lines that belong with the build's own (compile --explain), before the closing line. */
  explain(lines: readonly string[]): void {
    for (const l of lines) this.line(l);
  }

  finish(s: BuildSummary): void {
    this.stopTicker();
    this.running.clear();
    if (this.o.json) {
      const { compiled, cached, upToDate, linked, failed, seconds } = s;
      this.o.stdout.write(JSON.stringify({ compiled, cached, upToDate, linked, failed, seconds, ok: s.ok, ...(s.error ? { error: s.error } : {}) }) + '\n');
      return;
    }
    this.clearLive();
    const built = s.compiled + s.cached;
    const pct = built ? Math.round((s.cached / built) * 100) : 0;
    if (s.ok) {
      // The share of the TUs built that the cache served; links are told on their own lines.
      const what = built > 0 ? `${pct}% cached` : s.linked > 0 ? 'nothing compiled' : 'up to date';
      this.line(`✅ Complete (${s.seconds.toFixed(1)}s) [${what}]`);
    } else {
      const why = s.error ?? `${s.failed} translation unit(s) failed`;
      this.o.stderr.write(`❌ Build failed (${s.seconds.toFixed(1)}s): ${why}\n`);
    }
  }
}
