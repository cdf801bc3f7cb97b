import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildTracker } from '../../daemons/host/child-tracker.js';
import { projectPaths } from '../../daemons/host/paths.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function setup() {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-children-'));
  dirs.push(root);
  const paths = projectPaths(root);
  mkdirSync(join(root, '.replibuild', 'pids'), { recursive: true });
  const file = paths.childrenFile('compilation');
  const pids = () => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { pid: number }[]).map((c) => c.pid).sort() : null);
  return { paths, pids };
}

describe('ChildTracker', () => {
  it('writes the first child at once and coalesces the rest of a burst into one later write', async () => {
    const { paths, pids } = setup();
    const t = new ChildTracker(paths, 'compilation', 100);
    t.add(101, 'g++ a');
    expect(pids()).toEqual([101]);
    t.add(102, 'g++ b');
    t.add(103, 'g++ c');
    t.remove(101);
    // Inside the window: the file still shows the first write.
    expect(pids()).toEqual([101]);
    await sleep(250);
    expect(pids()).toEqual([102, 103]);
    t.remove(102);
    t.remove(103);
    await sleep(250);
    // None left: no file, so a start after a crash has nothing to reap.
    expect(pids()).toBeNull();
  });

  it('killAll writes at once, without waiting for the window', () => {
    const { paths, pids } = setup();
    const t = new ChildTracker(paths, 'compilation', 10_000);
    t.add(2 ** 22 + 7, 'g++ x'); // a pid no process has: the kill is a no-op
    t.add(2 ** 22 + 9, 'g++ y');
    expect(pids()).toEqual([2 ** 22 + 7]);
    t.killAll();
    expect(pids()).toBeNull();
  });
});
