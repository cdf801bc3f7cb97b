// How a build looks in a terminal, in a log and to a program: one line per TU
// (or a live [n/N] line on a TTY), the compiler's diagnostics verbatim on stderr,
// and a closing line; or, with --json, one summary object and nothing else on stdout.
import type { BuildEvent, BuildSummary } from '../protocol/build.js';

export interface OutputOptions {
  json: boolean;
  verbose: boolean;
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** gcc's own colours for the severity word, so diagnostics read as they do under make. */
export function colourDiagnostics(text: string): string {
  return text
    .replace(/^(.*?:\d+:\d+: )(fatal error|error)(:)/gm, '\x1b[1m$1\x1b[0;1;31m$2$3\x1b[0m')
    .replace(/^(.*?:\d+:\d+: )(warning)(:)/gm, '\x1b[1m$1\x1b[0;1;35m$2$3\x1b[0m')
    .replace(/^(.*?:\d+:\d+: )(note)(:)/gm, '\x1b[1m$1\x1b[0;1;36m$2$3\x1b[0m');
}

export class BuildOutput {
  private live = '';
  private readonly tty: boolean;
  private readonly colour: boolean;

  constructor(private readonly o: OutputOptions) {
    this.tty = !o.json && Boolean(o.stdout.isTTY);
    this.colour = Boolean(o.stderr.isTTY) && !process.env.NO_COLOR;
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
      case 'tu': {
        const verb = e.outcome === 'compiled' ? 'Compiled' : e.outcome === 'cached' ? 'Cached  ' : 'FAILED  ';
        if (this.o.verbose && e.command) this.line(e.command);
        const text = `[${e.done}/${e.total}] ${verb} ${e.source} (${secs(e.ms)})${e.on ? ` [on ${e.on}]` : ''}`;
        if (this.tty && e.outcome !== 'failed' && !this.o.verbose) this.setLive(text);
        else this.line(text);
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
        this.line(`Linking... ${e.output}${e.cached ? ' (cached)' : ''} (${secs(e.ms)})`);
        break;
      case 'message':
        if (e.warning) {
          this.clearLive();
          this.o.stderr.write(`${e.text}\n`);
        } else this.line(e.text);
        break;
    }
  }

  finish(s: BuildSummary): void {
    if (this.o.json) {
      const { compiled, cached, upToDate, linked, failed, seconds } = s;
      this.o.stdout.write(JSON.stringify({ compiled, cached, upToDate, linked, failed, seconds, ok: s.ok, ...(s.error ? { error: s.error } : {}) }) + '\n');
      return;
    }
    this.clearLive();
    const built = s.compiled + s.cached;
    const pct = built ? Math.round((s.cached / built) * 100) : 0;
    if (s.ok) {
      const what = built === 0 && s.linked === 0 ? 'up to date' : `${pct}% cached`;
      this.line(`✅ Complete (${s.seconds.toFixed(1)}s) [${what}]`);
    } else {
      const why = s.error ?? `${s.failed} translation unit(s) failed`;
      this.o.stderr.write(`❌ Build failed (${s.seconds.toFixed(1)}s): ${why}\n`);
    }
  }
}
