// Issue 10: a second local user, created here (as root), against the owner's
// daemons. The user can reach the project root (a 0755 parent, as a home project
// would be) and every daemon port; it must neither block the owner's builds nor
// read the build state, the daemon logs, the token or the compile cache.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import { cli, cliSync, readRecordFile, projectsPerTest } from '../helpers/project.js';
import { startAbusePeer } from '../helpers/abuse-peer.js';

const project = projectsPerTest();

function whyNot(): string | null {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return 'not running as root (useradd needs it)';
  for (const tool of ['useradd', 'userdel', 'setpriv']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  return null;
}

const skipReason = whyNot();
if (skipReason) console.warn(`second-user test skipped: ${skipReason}`);

const user = `rbtest${randomBytes(4).toString('hex')}`;
let uid = -1;
let gid = -1;

describe.skipIf(skipReason !== null)('a second local user', () => {
  beforeAll(() => {
    const r = spawnSync('useradd', ['-m', '-s', '/bin/sh', user], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`useradd ${user} failed: ${r.stderr}`);
    uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
    gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  });

  afterAll(() => {
    if (uid >= 0) spawnSync('userdel', ['-r', user], { encoding: 'utf8' });
  });

  /** The command prefix that runs a program as the test user. */
  const asUser = () => ['setpriv', `--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--'];

  /** A node the user can run: this one if its path is open to them, else a copy in `dir`. */
  function nodeFor(dir: string): string {
    const ok = spawnSync(asUser()[0], [...asUser().slice(1), process.execPath, '-e', '0']).status === 0;
    if (ok) return process.execPath;
    const bin = join(dir, 'node-bin');
    mkdirSync(bin, { mode: 0o755 });
    copyFileSync(process.execPath, join(bin, 'node'));
    chmodSync(join(bin, 'node'), 0o755);
    return join(bin, 'node');
  }

  it('can neither block the owner’s compile nor read state/, daemon_logs/, the token or the cache', async () => {
    const p = project();
    const base = dirname(p.root);
    // Reachable like a project in a home directory: only .replibuild's contents are private.
    chmodSync(base, 0o755);
    chmodSync(p.root, 0o755);
    expect(cliSync(['start'], p).code).toBe(0);
    expect(cliSync(['compile'], p).code).toBe(0); // state, logs and cache entries exist now
    const ports = DAEMON_NAMES.map((n) => readRecordFile(p.root, n)!.port);

    const peer = await startAbusePeer(base, { wrap: asUser(), nodePath: nodeFor(base), capMs: 120_000 });
    try {
      expect(peer.info.uid, 'the peer runs as the test user').toBe(uid);
      await peer.send('flood', { ports, idle: 300, slow: 100, sustain: true, perTick: 20 });
      await new Promise((r) => setTimeout(r, 300));

      // The owner builds meanwhile, through the daemons (an edit, so there is work to do).
      p.write('src/main.cpp', '#include <cstdio>\nint main() { std::puts("edited"); return 0; }\n');
      const r = await cli(['compile'], p);
      expect(r.stderr + r.stdout, 'owner compile while the other user holds connections').not.toMatch(/in-process|not reachable|internal error/);
      expect(r.code).toBe(0);
      expect(readFileSync(join(p.root, '.replibuild/daemon_logs/orchestrator.log'), 'utf8')).not.toMatch(/unreachable|unavailable/);

      const dot = join(p.root, '.replibuild');
      const targets = [
        join(dot, 'state'),
        join(dot, 'state/build-state.json'),
        join(dot, 'daemon_logs'),
        join(dot, 'daemon_logs/orchestrator.log'),
        join(dot, 'pids/token'),
        p.cacheDir,
      ];
      const { results } = await peer.send('read', { paths: targets });
      // Sanity: the user does reach the project itself.
      const { results: reach } = await peer.send('read', { paths: [join(p.root, 'replibuild.toml')] });
      expect(reach[0].code).toBe('ok');
      for (const res of results) expect(res, `reading ${res.path} as ${user}`).toEqual({ path: res.path, code: 'EACCES' });
    } finally {
      await peer.stop();
    }
  }, 120_000);
});
