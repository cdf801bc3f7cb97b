// Issue 10, item 7: daemon_logs/ and state/ hold what the owner built and how; like
// pids/, they are 0700 with 0600 files, also when an older version left them open.
import { chmodSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliSync, projectsPerTest } from '../helpers/project.js';

const project = projectsPerTest();

const mode = (p: string) => statSync(p).mode & 0o777;

/** Every dir under `dir` (itself included) and every file in them, with its mode. */
function modes(dir: string): { path: string; mode: number; dir: boolean }[] {
  const out = [{ path: dir, mode: mode(dir), dir: true }];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...modes(p));
    else if (e.isFile()) out.push({ path: p, mode: mode(p), dir: false });
  }
  return out;
}

function expectPrivate(dir: string): void {
  const all = modes(dir);
  expect(all.filter((m) => !m.dir).length, `files in ${dir}`).toBeGreaterThan(0);
  for (const m of all) expect({ path: m.path, mode: m.mode.toString(8) }).toEqual({ path: m.path, mode: m.dir ? '700' : '600' });
}

describe('private daemon dirs', () => {
  it('makes state/ and daemon_logs/ 0700 with 0600 files through the daemons', () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    expect(cliSync(['compile'], p).code).toBe(0);
    expect(cliSync(['stop'], p).code).toBe(0);
    expectPrivate(join(p.root, '.replibuild/state'));
    expectPrivate(join(p.root, '.replibuild/daemon_logs'));
    expect(mode(join(p.root, '.replibuild/pids'))).toBe(0o700);
  });

  it('makes state/ private in an in-process build', () => {
    const p = project();
    expect(cliSync(['compile', '--no-daemon'], p).code).toBe(0);
    expectPrivate(join(p.root, '.replibuild/state'));
  });

  it('tightens dirs and files an older version made world-readable, at start', () => {
    const p = project();
    for (const d of ['state', 'daemon_logs', 'state/old']) {
      mkdirSync(join(p.root, '.replibuild', d), { recursive: true });
      chmodSync(join(p.root, '.replibuild', d), 0o755);
    }
    for (const f of ['state/build-state.json', 'state/old/x.json', 'daemon_logs/orchestrator.log', 'daemon_logs/setup.log']) {
      writeFileSync(join(p.root, '.replibuild', f), '{}\n');
      chmodSync(join(p.root, '.replibuild', f), 0o644);
    }
    expect(cliSync(['start'], p).code).toBe(0);
    expectPrivate(join(p.root, '.replibuild/state'));
    expectPrivate(join(p.root, '.replibuild/daemon_logs'));
  });
});
