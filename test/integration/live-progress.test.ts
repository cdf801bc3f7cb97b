// A long build moves from its first second: the orchestrator streams a start per
// TU through the daemons, with an estimate of the time left once it has one, and
// the live line shows the TUs compiling now and for how long.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BuildOutput } from '../../client/build-output.js';
import type { BuildEvent } from '../../protocol/build.js';
import { cliSync, projectsPerTest } from '../helpers/project.js';
import { daemonBuildEvents } from '../helpers/daemon-build.js';

const project = projectsPerTest();

const tu = (n: number, salt = 0) => `int f${n}() { return ${n + salt}; }\n`;

/** A terminal as BuildOutput sees one: it records what is written. */
class FakeTty extends Writable {
  isTTY = true;
  columns = 200;
  text = '';
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

describe('live progress', () => {
  it('every TU is announced before it finishes; a rebuild carries an estimate from recorded times; the live line names what runs', async () => {
    const files: Record<string, string> = { 'src/main.cpp': 'int main() { return 0; }\n' };
    for (let i = 0; i < 4; i++) files[`src/u${i}.cpp`] = tu(i);
    const p = project(files);
    expect(cliSync(['start'], p).code).toBe(0);
    const build = () => daemonBuildEvents(p, 0);
    const sources = Object.keys(files).sort();

    const cold = await build();
    for (const s of sources) {
      const started = cold.findIndex((e) => e.type === 'tu_start' && e.source === s);
      const finished = cold.findIndex((e) => e.type === 'tu' && e.source === s);
      expect(started, s).toBeGreaterThanOrEqual(0);
      expect(started, s).toBeLessThan(finished);
    }
    // Nothing recorded and nothing finished yet: no estimate is invented.
    expect(cold.find((e) => e.type === 'tu_start')).not.toHaveProperty('left_ms');
    // After the first compile, this build's mean gives one.
    const lastTu = cold.filter((e) => e.type === 'tu').at(-1)!;
    expect(lastTu).toHaveProperty('left_ms', 0);

    for (let i = 0; i < 4; i++) p.write(`src/u${i}.cpp`, tu(i, 100));
    const rebuild = await build();
    const starts = rebuild.filter((e): e is Extract<BuildEvent, { type: 'tu_start' }> => e.type === 'tu_start');
    expect(starts.map((e) => e.source).sort()).toEqual(sources.filter((s) => s !== 'src/main.cpp'));
    for (const e of starts) expect(e.left_ms, e.source).toBeGreaterThan(0);

    // What a terminal shows, replayed with a clock we move.
    let t = 0;
    const tty = new FakeTty();
    const out = new BuildOutput({ json: false, verbose: false, stdout: tty as never, stderr: tty as never }, () => t);
    for (const e of rebuild) {
      out.event(e);
      if (e.type === 'tu_start') {
        t += 1500;
        expect(out.liveLine()).toMatch(new RegExp(`^\\[\\d\\/4\\] compiling .*${e.source} 1\\.5s`));
        expect(out.liveLine()).toMatch(/ · ~\d+(\.\d)?s left$/);
      }
    }
    expect(tty.text).toMatch(/\[\d\/4\] compiling src\/u\d\.cpp /);
  }, 90_000);
});
