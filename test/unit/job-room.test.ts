import { describe, expect, it } from 'vitest';
import { JobRoom } from '../../daemons/orchestrator/job-room.js';

/** A job that runs until its `finish` is called. */
function job(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return { run: async () => (log.push(`start ${name}`), await done, log.push(`end ${name}`), name), finish };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('JobRoom: links and handed-off compiles share -j', () => {
  it('a link waits for room among the compiles handed off, and no compile is handed off while a link fills the room', async () => {
    const room = new JobRoom(2);
    const log: string[] = [];
    const [a, b, c] = [job(log, 'a'), job(log, 'b'), job(log, 'c')];
    const link = job(log, 'link');
    const ra = room.compile(a.run);
    const rb = room.compile(b.run);
    const rl = room.link(link.run);
    await turn();
    expect(log).toEqual(['start a', 'start b']);
    a.finish();
    await ra;
    await turn();
    expect(log).toEqual(['start a', 'start b', 'end a', 'start link']);
    // b and the link fill the room: c is not handed off until one of them ends.
    const rc = room.compile(c.run);
    await turn();
    expect(log).not.toContain('start c');
    link.finish();
    await rl;
    await turn();
    expect(log.at(-1)).toBe('start c');
    b.finish();
    c.finish();
    expect(await Promise.all([rb, rc])).toEqual(['b', 'c']);
  });

  it('compiles are not bounded without links: the compilation daemon bounds them', async () => {
    const room = new JobRoom(1);
    const log: string[] = [];
    const jobs = [job(log, 'a'), job(log, 'b'), job(log, 'c')];
    const runs = jobs.map((j) => room.compile(j.run));
    await turn();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    for (const j of jobs) j.finish();
    await Promise.all(runs);
  });
});
