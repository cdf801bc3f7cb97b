// Issue 16: get_config answers `unchanged` to a caller that already holds the
// current config, so a no-op at 20,000 TUs does not ship and parse the whole
// config twice. The real SetupService and its real method table, on a temp
// project; the caller dispatches to the table's handlers as the RPC server does.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteSetup } from '../../daemons/host/remote-services.js';
import { setupMethods } from '../../daemons/setup/server.js';
import { SetupService } from '../../daemons/setup/service.js';
import type { Caller } from '../../rpc/methods.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function project(defines: string): string {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-setup-tag-'));
  dirs.push(root);
  writeFileSync(join(root, 'a.cpp'), 'int a() { return 1; }\n');
  writeToml(root, defines);
  return root;
}

function writeToml(root: string, defines: string): void {
  writeFileSync(join(root, 'replibuild.toml'), `[project]\nname = "t"\n\n[compiler]\ndefines = [${defines}]\n\n[targets.app]\nkind = "executable"\nsources = ["*.cpp"]\n`);
}

/** A caller that hands each call to the service's method table, and keeps what went over the wire. */
function wire(svc: () => SetupService): Caller & { answers: unknown[] } {
  const answers: unknown[] = [];
  return {
    answers,
    async call(method, params) {
      const def = setupMethods(svc())[method]!;
      const ctx = { requestId: 1, progress: () => {}, signal: new AbortController().signal };
      const a = await def.handle(def.params(params, 'params'), ctx);
      answers.push(JSON.parse(JSON.stringify(a)));
      return a;
    },
  };
}

describe('get_config with a known tag', () => {
  it('answers unchanged while the config is current, and the whole config once it changed', async () => {
    const root = project('"V=1"');
    const svc = new SetupService(root);
    const w = wire(() => svc);
    const remote = new RemoteSetup(w);

    const first = await remote.getConfig();
    expect(JSON.stringify(first.project)).toContain('V=1');
    expect(w.answers[0]).toHaveProperty('snapshot');

    const again = await remote.getConfig();
    expect(w.answers[1]).toEqual({ tag: (w.answers[0] as { tag: string }).tag, unchanged: true });
    expect(again).toBe(first);

    // Another size, so the stat key changes even within one mtime tick.
    writeToml(root, '"V=2", "W=3"');
    const edited = await remote.getConfig();
    expect(w.answers[2]).toHaveProperty('snapshot');
    expect(JSON.stringify(edited.project)).toContain('W=3');
    expect(edited.generation).toBeGreaterThan(first.generation);
  });

  it('a restarted setup (generations counted from the start again) is never taken for the old one', async () => {
    const rootA = project('"V=1"');
    const rootB = project('"V=2"');
    let svc = new SetupService(rootA);
    const w = wire(() => svc);
    const remote = new RemoteSetup(w);
    const a = await remote.getConfig();

    // The same generation number, another process and another config behind the same channel.
    svc = new SetupService(rootB);
    const b = await remote.getConfig();
    expect(b.generation).toBe(a.generation);
    expect(w.answers[1]).toHaveProperty('snapshot');
    expect(JSON.stringify(b.project)).toContain('V=2');
    expect(JSON.stringify(b.project)).not.toContain('V=1');
  });
});
