// StartNotices: a batch job's start travels in its result when the job ends in the turn
// of the event loop it started in (a cache hit), and is sent on its own when the loop
// turns first (a compile), or before an error.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { CompileBatchEvent, CompileResult } from '../../protocol/build.js';
import { StartNotices } from '../../daemons/compilation/start-notices.js';

const result: CompileResult = { outcome: 'cached', exit_code: 0, stderr: '', duration_ms: 1, headers: [], compiler_id: 'x' };

describe('StartNotices', () => {
  it('a job that ends in its turn: one event, its result with at_ms', async () => {
    const sent: CompileBatchEvent[] = [];
    const s = new StartNotices((e) => sent.push(e));
    s.started(0, 1000);
    s.started(1, 1001);
    s.result(1, result);
    s.result(0, result);
    expect(sent).toEqual([
      { index: 1, result, at_ms: 1001 },
      { index: 0, result, at_ms: 1000 },
    ]);
    await nextTurn();
    await nextTurn();
    expect(sent).toHaveLength(2); // nothing left to send
  });

  it('a job still running when the loop turns: its start is sent then, its result later without at_ms', async () => {
    const sent: CompileBatchEvent[] = [];
    const s = new StartNotices((e) => sent.push(e));
    s.started(0, 1000);
    s.started(1, 1001);
    s.result(1, result);
    await nextTurn();
    expect(sent).toEqual([
      { index: 1, result, at_ms: 1001 },
      { index: 0, started: true, at_ms: 1000 },
    ]);
    s.result(0, result);
    expect(sent[2]).toEqual({ index: 0, result });
    // A start after a turn is sent at the next one.
    s.started(2, 1002);
    await nextTurn();
    expect(sent[3]).toEqual({ index: 2, started: true, at_ms: 1002 });
  });

  it('flush sends an unsent start at once (before an error), and only once', async () => {
    const sent: CompileBatchEvent[] = [];
    const s = new StartNotices((e) => sent.push(e));
    s.started(0, 1000);
    s.flush(0);
    s.flush(0);
    s.flush(1); // never started: nothing
    expect(sent).toEqual([{ index: 0, started: true, at_ms: 1000 }]);
    await nextTurn();
    expect(sent).toHaveLength(1);
  });
});
