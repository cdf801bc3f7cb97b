// Programs started from the spawn helper (toolchain/spawner.ts, native/spawn-helper.c)
// behave as ones started directly: output, environment, working directory, exit status,
// process groups killed on abort, pids told; and a helper that dies neither loses a run
// nor stays dead.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { helperBinary, Spawner } from '../../toolchain/spawner.js';
import { runInProcessGroup, spawnHelperPid, useSpawnHelper, type GroupRunOptions } from '../../toolchain/process-group.js';

let spawner: Spawner | undefined;
afterEach(() => {
  spawner?.close();
  spawner = undefined;
});

function binary(): string {
  const b = helperBinary();
  if (!b) throw new Error('dist/spawn-helper is missing: `npm run build` makes it');
  return b;
}
const make = () => (spawner = new Spawner(runInProcessGroup, binary()));
/** Running (a zombie is dead: its parent, the helper, may be gone before reaping it). */
const alive = (pid: number) => {
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

describe('the spawn helper', () => {
  it('gives the output, exit code and pid of what it ran', async () => {
    const s = make();
    const seen: string[] = [];
    const opts: GroupRunOptions = { cwd: '/tmp', env: { ...process.env, RB_X: 'from-env' }, onSpawn: (p) => seen.push(`spawn ${p}`), onExit: (p) => seen.push(`exit ${p}`) };
    const r = await s.run('sh', ['-c', 'echo "$RB_X $(pwd)"; echo err >&2; exit 3'], opts);
    expect(r).toMatchObject({ exit_code: 3, signal: null, stdout: 'from-env /tmp\n', stderr: 'err\n', aborted: false });
    expect(seen).toHaveLength(2);
    expect(seen[0]!.replace('spawn', 'exit')).toBe(seen[1]);
  });

  it('reports a program that cannot start as the shell would (127)', async () => {
    const r = await make().run('/nonexistent/rb-no-such-tool', [], { cwd: '/tmp' });
    expect(r.exit_code).toBe(127);
    expect(r.spawn_error?.code).toBe('ENOENT');
  });

  it('a death by signal is 128 + its number', async () => {
    const r = await make().run('sh', ['-c', 'kill -TERM $$'], { cwd: '/tmp' });
    expect(r).toMatchObject({ exit_code: 143, signal: 'SIGTERM' });
  });

  it('an abort kills the whole process group', async () => {
    const ac = new AbortController();
    let pid = 0;
    const run = make().run('sh', ['-c', 'sleep 30 & echo $! ; wait'], { cwd: '/tmp', signal: ac.signal, onSpawn: (p) => (pid = p) });
    while (pid === 0) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    const r = await run;
    expect(r.aborted).toBe(true);
    expect(r.exit_code).toBe(137);
    const grandchild = Number(r.stdout.trim());
    if (grandchild) {
      for (let i = 0; i < 100 && alive(grandchild); i++) await new Promise((res) => setTimeout(res, 10));
      expect(alive(grandchild)).toBe(false);
    }
  });

  it('a helper that dies ends its running programs as killed, and the next run starts a new one', async () => {
    const s = make();
    let pid = 0;
    const run = s.run('sleep', ['30'], { cwd: '/tmp', onSpawn: (p) => (pid = p) });
    while (pid === 0) await new Promise((r) => setTimeout(r, 10));
    const first = s.helperPid!;
    process.kill(first, 'SIGKILL');
    expect(await run).toMatchObject({ exit_code: 137, signal: 'SIGKILL' });
    for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 10));
    expect(alive(pid)).toBe(false);
    const again = await s.run('echo', ['ok'], { cwd: '/tmp' });
    expect(again.stdout).toBe('ok\n');
    expect(s.helperPid).not.toBe(first);
  });
});

describe('when the daemon uses the helper', () => {
  afterEach(() => useSpawnHelper(false));

  it('a program run alone (an edit) never starts it; programs side by side do, each in a session of its own', async () => {
    useSpawnHelper(true);
    expect((await runInProcessGroup('true', [], { cwd: '/tmp' })).exit_code).toBe(0);
    expect((await runInProcessGroup('true', [], { cwd: '/tmp' })).exit_code).toBe(0);
    expect(spawnHelperPid()).toBeUndefined();
    const both = await Promise.all([runInProcessGroup('sleep', ['0.3'], { cwd: '/tmp' }), runInProcessGroup('echo', ['second'], { cwd: '/tmp' })]);
    expect(both.map((x) => x.exit_code)).toEqual([0, 0]);
    expect(both[1]!.stdout).toBe('second\n');
    const pid = spawnHelperPid();
    expect(pid).toBeDefined();
    expect(alive(pid!)).toBe(true);
    // Started, it serves every run until it goes idle, a lone one too. $PPID: the helper
    // started it; `ps -o sid=`: a session of its own (what a cancel kills).
    const r = await runInProcessGroup('sh', ['-c', 'echo $PPID $$ $(ps -o sid= -p $$)'], { cwd: '/tmp' });
    const [ppid, self, sid] = r.stdout.trim().split(/\s+/).map(Number);
    expect(ppid).toBe(pid);
    expect(sid).toBe(self);
    expect(spawnHelperPid()).toBe(pid);
  });

  it('hands back output of any size, each run its own, and a program that cannot run as Node would', async () => {
    const s = make();
    const big = await s.run('sh', ['-c', 'head -c 3000000 /dev/zero | tr "\\0" x; head -c 200000 /dev/zero | tr "\\0" y >&2'], { cwd: '/tmp' });
    expect(big.stdout.length).toBe(3_000_000);
    expect(big.stderr.length).toBe(200_000);
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.run('sh', ['-c', `echo ${i}; exit ${i % 3}`], { cwd: '/tmp' })));
    expect(runs.map((x) => `${x.stdout.trim()}:${x.exit_code}`)).toEqual(Array.from({ length: 20 }, (_, i) => `${i}:${i % 3}`));
    // No signal ignored or blocked, though the helper ignores SIGPIPE (and so may its daemon).
    // Of the ignored mask only signals 1-31 count: glibc's posix_spawn leaves its own two
    // (32, 33, which NPTL sets up again in a program that uses them) ignored in any child.
    const status = (await s.run('cat', ['/proc/self/status'], { cwd: '/tmp' })).stdout;
    expect(BigInt(`0x${/^SigIgn:\s*([0-9a-f]+)$/m.exec(status)![1]}`) & 0x7fffffffn).toBe(0n);
    expect(status).toMatch(/^SigBlk:\s*0+$/m);
    // Refused as Node's spawn refuses it, and the helper serves the next run.
    await expect(s.run('echo', ['a\0b'], { cwd: '/tmp' })).rejects.toThrow(/NUL/);
    expect((await s.run('echo', ['next'], { cwd: '/tmp' })).stdout).toBe('next\n');
    const dir = mkdtempSync(join(tmpdir(), 'replibuild-spawner-'));
    try {
      const file = join(dir, 'tool');
      writeFileSync(file, 'echo from-a-script-without-a-shebang\n', { mode: 0o644 });
      const denied = await s.run(file, [], { cwd: '/tmp' });
      expect(denied.spawn_error?.code).toBe('EACCES');
      expect(denied.exit_code).toBe(126);
      // As execvp (and so Node's spawn) has it: a script with no #! line runs in the shell.
      chmodSync(file, 0o755);
      expect((await s.run(file, [], { cwd: '/tmp' })).stdout).toBe('from-a-script-without-a-shebang\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
