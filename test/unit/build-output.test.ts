// What the build's closing line and link lines claim must be what happened.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BuildOutput } from '../../client/build-output.js';
import type { BuildSummary } from '../../protocol/build.js';

class Capture extends Writable {
  text = '';
  constructor(readonly isTTY = false) {
    super();
  }
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

const summary = (s: Partial<BuildSummary>): BuildSummary => ({ ok: true, compiled: 0, cached: 0, upToDate: 0, linked: 0, failed: 0, seconds: 0.5, ...s });

function render(events: Parameters<BuildOutput['event']>[0][], s: BuildSummary): string {
  const out = new Capture();
  const o = new BuildOutput({ json: false, verbose: false, stdout: out as never, stderr: out as never });
  for (const e of events) o.event(e);
  o.finish(s);
  return out.text;
}

describe('BuildOutput', () => {
  it('says whether a link ran, came from the cache, or was not needed', () => {
    const text = render(
      [
        { type: 'link', target: 'a', output: 'build/bin/a', ms: 120, cached: false },
        { type: 'link', target: 'b', output: 'build/bin/b', ms: 10, cached: true },
        { type: 'link', target: 'c', output: 'build/bin/c', ms: 0, cached: false, unchanged: true },
      ],
      summary({ compiled: 1, linked: 2 }),
    );
    expect(text).toContain('Linking... build/bin/a (0.12s)\n');
    expect(text).toContain('Linking... build/bin/b (from cache) (0.01s)\n');
    expect(text).toContain('Linking... build/bin/c: not relinked (inputs unchanged)\n');
  });

  it('[N% cached] counts the TUs built; nothing built is "up to date", links alone "nothing compiled"', () => {
    expect(render([], summary({ compiled: 1, cached: 3 }))).toContain('[75% cached]');
    expect(render([], summary({ compiled: 1 }))).toContain('[0% cached]');
    expect(render([], summary({ upToDate: 3 }))).toContain('[up to date]');
    expect(render([], summary({ upToDate: 3, linked: 1 }))).toContain('[nothing compiled]');
  });

  it('on a terminal, the live line names the TUs compiling, their time, and the time left', () => {
    let t = 0;
    const tty = new Capture(true);
    const o = new BuildOutput({ json: false, verbose: false, stdout: tty as never, stderr: tty as never }, () => t);
    o.event({ type: 'tu_start', target: 'a', source: 'src/a.cpp', done: 0, total: 3 });
    t = 1000;
    o.event({ type: 'tu_start', target: 'a', source: 'src/b.cpp', done: 0, total: 3, left_ms: 5000 });
    t = 3000;
    expect(o.liveLine()).toBe('[0/3] compiling src/a.cpp 3.0s, src/b.cpp 2.0s · ~3.0s left');
    o.event({ type: 'tu', target: 'a', source: 'src/a.cpp', outcome: 'compiled', ms: 3000, done: 1, total: 3, left_ms: 12_000 });
    expect(o.liveLine()).toBe('[1/3] compiling src/b.cpp 2.0s · ~12s left');
    o.finish(summary({ compiled: 1 }));
    expect(tty.text).toContain('\r\x1b[K[1/3] compiling src/b.cpp 2.0s · ~12s left');
  });
});
