// A client of another version than the running daemons says so and tells the
// user to restart them. The "old daemon" here is a real RPC server in a process
// that carries the daemon marker, answering with another version.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { procStartTime } from '../../fs/proc.js';
import { VERSION } from '../../protocol/messages.js';
import { REPO, cliSync, makeProject, waitFor, type TestProject } from '../helpers/project.js';

let child: ChildProcess | null = null;
let project: TestProject | null = null;
afterEach(async () => {
  child?.kill('SIGKILL');
  child = null;
  await project?.cleanup();
  project = null;
});

/** A stand-in orchestrator answering auth as version `answers`, with a record that says `records`. */
async function standIn(answers: string, records: string): Promise<TestProject> {
  const p = (project = makeProject());
  const token = 'a'.repeat(64);
  mkdirSync(join(p.root, '.replibuild/pids'), { recursive: true });
  writeFileSync(join(p.root, '.replibuild/pids/token'), token + '\n', { mode: 0o600 });
  const server = `
    const { RpcServer } = await import(${JSON.stringify(join(REPO, 'dist/rpc/server.js'))});
    const s = new RpcServer({ token: ${JSON.stringify(token)}, methods: {}, identity: { daemon: 'orchestrator', version: ${JSON.stringify(answers)} } });
    console.log(await s.listen(0));`;
  child = spawn(process.execPath, ['--input-type=module', '-e', server, '--', '--replibuild-daemon', 'orchestrator'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let port = 0;
  child.stdout!.on('data', (d) => (port = Number(String(d).trim())));
  await waitFor(() => port > 0, 10_000, 'the stand-in daemon to listen');
  const pid = child.pid!;
  writeFileSync(join(p.root, '.replibuild/pids/orchestrator.pid'), `${pid}\n`);
  writeFileSync(
    join(p.root, '.replibuild/pids/orchestrator.json'),
    JSON.stringify({ name: 'orchestrator', pid, port, version: records, started: new Date().toISOString(), proc_start: procStartTime(pid) }),
  );
  return p;
}

it('names both versions and says to restart the daemons', async () => {
  const p = await standIn('0.0.1-old', '0.0.1-old');
  const r = cliSync(['compile'], p);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/runs replibuild 0\.0\.1-old, this client is \d+\.\d+\.\d+/);
  expect(r.stderr).toMatch(/replibuild stop && replibuild start/);
});

// The CLI sends its build with the token when the record names this version (one
// round trip); the daemon's own answer to the token still decides, and the build it
// may have been sent is not what the user is told about.
it('says so too when the record names this version but the daemon answers another', async () => {
  const p = await standIn('0.0.1-old', VERSION);
  const r = cliSync(['compile'], p);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/runs replibuild 0\.0\.1-old, this client is \d+\.\d+\.\d+/);
  expect(r.stderr).not.toMatch(/method not found/);
});
