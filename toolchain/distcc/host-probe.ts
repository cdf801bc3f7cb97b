// Before a host's first job: one tiny TU compiled here and there must come out as the
// same bytes. distcc runs whatever compiler of that name the host has and compares no
// versions, while the cache keys on this machine's compiler: a host with another gcc
// would put its objects under our key, for every checkout that shares the cache.
// Without -g an object is its compiler's alone (its .comment names the version), so
// one comparison tells.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempPathFor } from '../../fs/atomic-write.js';
import type { DistccHost } from '../../config/distcc-hosts.js';
import type { CompileJob } from '../../protocol/build.js';
import { runCompile, type RunCompileOptions, type RunnerIdentity } from '../compile-runner.js';
import { compileOnHost, type RemoteCompileSetup } from './remote-compile.js';

export type ProbeVerdict =
  | { kind: 'same' }
  /** The host could not compile it (down, refused, no such compiler): a failure like any other. */
  | { kind: 'host-failed'; why: string }
  /** It compiled, to other bytes: its compiler is not ours, and it must get no work. */
  | { kind: 'differs'; why: string };

const PROBE = 'int replibuild_probe(int x) { return x * 3 + 1; }\n';

export async function probeHost(setup: RemoteCompileSetup, host: DistccHost, identity: RunnerIdentity, opts: RunCompileOptions = {}): Promise<ProbeVerdict> {
  mkdirSync(setup.dir, { recursive: true, mode: 0o700 });
  const dir = tempPathFor(join(setup.dir, 'probe'));
  mkdirSync(dir, { mode: 0o700 });
  try {
    writeFileSync(join(dir, 'probe.cpp'), PROBE);
    const job = (name: string): CompileJob => ({ cwd: dir, compiler: identity.path, args: ['-O2', '-c', 'probe.cpp'], source: 'probe.cpp', object: `${name}.o`, depfile: `${name}.d` });
    const local = await runCompile(job('local'), identity, opts);
    if (local.outcome !== 'compiled') {
      // Nothing to compare with: the local compiler itself is broken, and every build says so.
      return { kind: 'same' };
    }
    const remote = await compileOnHost(setup, host, job('remote'), identity, opts);
    if (remote.kind === 'host-failed') return remote;
    if (remote.kind === 'local' || remote.result.outcome !== 'compiled') {
      return { kind: 'host-failed', why: `probe compile failed there: ${remote.result.stderr.trim().split('\n')[0] ?? `exit ${remote.result.exit_code}`}` };
    }
    if (readFileSync(join(dir, 'remote.o')).equals(readFileSync(join(dir, 'local.o')))) return { kind: 'same' };
    return { kind: 'differs', why: `its ${identity.path} makes other objects than this machine's (another compiler version?); not used until the daemons restart` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
