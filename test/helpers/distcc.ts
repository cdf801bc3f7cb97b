// Real distccd servers as separate hosts for tests and bench/: each in a network
// namespace of its own, joined to this one by a veth pair with private addresses in
// 10.213.x.0/30 (x from this process's pid, so parallel runs never collide), started
// with --no-detach so it is stopped by its pid (and every process left in its
// namespace, by pid), and its log readable: which sources it compiled.
//
// Without namespaces (not root, no `ip`), each distccd listens on its own loopback
// port instead. Everything made is undone by teardown(), which callers run in
// afterAll/finally, even after a failure.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from './free-port.js';

export interface DistccHostHandle {
  /** The address the client uses. */
  address: string;
  port: number;
  /** "address:port/limit", one entry of a host list. */
  spec: string;
  /** How replibuild names it (status, per-TU lines): the address, ":port" unless 3632. */
  name: string;
  /** The namespace, or null on loopback. */
  netns: string | null;
  /** distccd's pid (its --pid-file), null once stopped. */
  pid: number | null;
  /** The sources it compiled, from its log ("COMPILE_OK ... g++ src/a.cpp"), without
   *  replibuild's compiler probe (probe.cpp, once per host and daemon start). */
  compiled(): string[];
  /** How many compiler probes it answered. */
  probes(): number;
  log(): string;
  /** SIGKILL to distccd and every process it started (in its namespace: all of them). */
  kill(): void;
}

export interface DistccFarm {
  hosts: DistccHostHandle[];
  /** Whether the hosts are in namespaces (else on loopback ports). */
  namespaces: boolean;
  /** An address that nothing listens on, in a namespace of its own when possible. */
  dead: { spec: string; name: string };
  teardown(): void;
}

export interface FarmOptions {
  hosts: number;
  /** /LIMIT of each host (distccd --jobs too). Default 2. */
  limit?: number;
  /** CPU to pin host i to (taskset -c), e.g. for bench/: i => i % cores. */
  cpu?: (i: number) => number;
  /** Also make a namespace with an address and no distccd (`dead`). */
  dead?: boolean;
  /** Flags host i's compiler silently adds (another compiler, as its objects go), or
   *  null: its g++ is ours. Namespaces only: a bind mount in the host's own mount
   *  namespace (ip netns exec makes one) puts a wrapper over the compiler there. */
  compilerFlags?: (i: number) => string[] | null;
}

const DISTCC_PORT = 3632;

function sh(cmd: string, args: string[]): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

function must(cmd: string, args: string[]): void {
  const r = sh(cmd, args);
  if (!r.ok) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.out.trim()}`);
}


function pidsInNetns(ns: string): number[] {
  const r = sh('ip', ['netns', 'pids', ns]);
  return r.ok ? r.out.split(/\s+/).filter(Boolean).map(Number) : [];
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

function namespacesWork(): boolean {
  if (userInfo().uid !== 0) return false;
  const probe = `rbprobe${process.pid}`;
  if (!sh('ip', ['netns', 'add', probe]).ok) return false;
  sh('ip', ['netns', 'delete', probe]);
  return true;
}

/** distccd's pid file appears once it listens; bounded wait. */
async function waitForPid(file: string, out: () => string): Promise<number> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (existsSync(file)) {
      const pid = Number(readFileSync(file, 'utf8').trim());
      if (pid > 0) return pid;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`distccd did not start within 10 s: ${out()}`);
}

/** A command line that runs `argv` with the host's g++ replaced by a wrapper adding `flags`:
 *  a copy of the real driver (found again through -B) behind a bind mount over it. */
function oddCompiler(dir: string, i: number, flags: string[], argv: string[]): string[] {
  const real = realpathSync(spawnSync('sh', ['-c', 'command -v g++'], { encoding: 'utf8' }).stdout.trim());
  const libexec = dirname(spawnSync(real, ['-print-prog-name=cc1plus'], { encoding: 'utf8' }).stdout.trim());
  const copy = join(dir, `h${i}-real-g++`);
  const wrapper = join(dir, `h${i}-g++`);
  copyFileSync(real, copy);
  writeFileSync(wrapper, `#!/bin/sh\nexec ${copy} -B${libexec}/ ${flags.join(' ')} "$@"\n`);
  chmodSync(copy, 0o755);
  chmodSync(wrapper, 0o755);
  const quoted = argv.map((a) => `'${a}'`).join(' ');
  return ['sh', '-c', `mount --bind ${wrapper} ${real} && exec ${quoted}`];
}

let farmSeq = 0;

export async function startDistccFarm(opts: FarmOptions): Promise<DistccFarm> {
  const limit = opts.limit ?? 2;
  const namespaces = namespacesWork();
  const dir = mkdtempSync(join(tmpdir(), 'replibuild-distccd-'));
  // distccd drops root for `nobody`, who must be able to write its log and pid file.
  if (userInfo().uid === 0) chownSync(dir, 65534, 65534);
  const made: string[] = [];
  const hosts: DistccHostHandle[] = [];
  const netBase = (process.pid % 200) + 20;
  const seq = farmSeq++;
  const nameOf = (address: string, port: number) => (port === DISTCC_PORT ? address : `${address}:${port}`);
  let dead = { spec: '127.0.0.1:1/1', name: '127.0.0.1:1' };

  const teardown = () => {
    for (const h of hosts) h.kill();
    for (const ns of made) sh('ip', ['netns', 'delete', ns]);
    rmSync(dir, { recursive: true, force: true });
  };

  // Host i: namespace rb<pid>s<seq>h<i>, veth pair, 10.213.<base>.<4i+1> here and
  // .<4i+2> there. The third octet by pid, the fourth by farm and host.
  const netns = (i: number) => {
    const ns = `rb${process.pid}s${seq}h${i}`;
    const third = netBase;
    const fourth = ((seq * 8 + i) % 60) * 4;
    const here = `10.213.${third}.${fourth + 1}`;
    const there = `10.213.${third}.${fourth + 2}`;
    must('ip', ['netns', 'add', ns]);
    made.push(ns);
    const a = `rbv${process.pid % 100000}${seq}${i}a`.slice(0, 15);
    const b = `rbv${process.pid % 100000}${seq}${i}b`.slice(0, 15);
    must('ip', ['link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    must('ip', ['link', 'set', b, 'netns', ns]);
    must('ip', ['addr', 'add', `${here}/30`, 'dev', a]);
    must('ip', ['link', 'set', a, 'up']);
    must('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', `${there}/30`, 'dev', b]);
    must('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', b, 'up']);
    must('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    return { ns, here, there };
  };

  try {
    for (let i = 0; i < opts.hosts; i++) {
      let address: string;
      let port: number;
      let ns: string | null = null;
      let allow: string;
      if (namespaces) {
        const n = netns(i);
        ns = n.ns;
        address = n.there;
        port = DISTCC_PORT;
        allow = n.here;
      } else {
        address = '127.0.0.1';
        port = await freePort();
        allow = '127.0.0.1';
      }
      const pidFile = join(dir, `h${i}.pid`);
      const logFile = join(dir, `h${i}.log`);
      const distccd = ['distccd', '--no-detach', '--daemon', '--user', 'nobody', '--allow', allow, '--listen', address, '--port', String(port),
        '--jobs', String(limit), '--pid-file', pidFile, '--log-file', logFile, '--log-level', 'info'];
      const pinned = opts.cpu ? ['taskset', '-c', String(opts.cpu(i)), ...distccd] : distccd;
      const odd = opts.compilerFlags?.(i) ?? null;
      if (odd && !ns) throw new Error('compilerFlags needs network namespaces (root)');
      const argv = ns ? ['ip', 'netns', 'exec', ns, ...(odd ? oddCompiler(dir, i, odd, pinned) : pinned)] : pinned;
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      const handle: DistccHostHandle = {
        address,
        port,
        spec: `${address}:${port}/${limit}`,
        name: nameOf(address, port),
        netns: ns,
        pid: null,
        compiled: () => [...handle.log().matchAll(/COMPILE_OK .* (\S+)$/gm)].map((m) => m[1]!).filter((f) => f !== 'probe.cpp'),
        probes: () => [...handle.log().matchAll(/COMPILE_OK .* probe\.cpp$/gm)].length,
        log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
        kill: () => {
          if (handle.pid !== null) killPid(handle.pid);
          // Its per-connection children and the compilers they run.
          if (ns) for (const p of pidsInNetns(ns)) killPid(p);
          if (child.pid !== undefined) killPid(child.pid);
          handle.pid = null;
        },
      };
      hosts.push(handle);
      handle.pid = await waitForPid(pidFile, () => out + handle.log());
    }
    if (opts.dead) {
      if (namespaces) {
        const n = netns(opts.hosts);
        dead = { spec: `${n.there}:${DISTCC_PORT}/2`, name: n.there };
      } else {
        const port = await freePort();
        dead = { spec: `127.0.0.1:${port}/2`, name: nameOf('127.0.0.1', port) };
      }
    }
  } catch (e) {
    teardown();
    throw e;
  }
  return { hosts, namespaces, dead, teardown };
}
