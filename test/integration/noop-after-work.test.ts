// Issue 16: a no-op right after a build waits for that build's journal point only, not
// for the rest of its after-work (the hash cache's save, the header lists sent to
// discovery: seconds after a 20,000-TU cold build). What that must not cost: a build
// that is not a no-op, asked while the header lists were on their way, must still see
// a new header that shadows one in use (discovery names the sources it shadows from
// those lists). The orchestrator runs in this process, on the project's real daemons,
// with discovery's recordDeps held back until the test lets it go.
import { describe, expect, it } from 'vitest';
import { loadDaemonConfig } from '../../config/daemon-config.js';
import { silentLogger } from '../../daemons/common/logger.js';
import { CompilationPeer, DiscoveryPeer, SetupPeer } from '../../daemons/host/peers.js';
import { OrchestratorService, type JournalSource } from '../../daemons/orchestrator/service.js';
import type { BuildRequest, BuildSummary } from '../../protocol/build.js';
import { cliSync, projectsPerTest, withProjectEnv, type TestProject } from '../helpers/project.js';

const newProject = projectsPerTest();
const REQ: BuildRequest = { targets: [], jobs: 1, keep_going: false, verbose: false, progress: false };

/** Past the racy window of directory stamps (journal-point.ts, 2 s): files made just now
 *  would make the point's stamps racy, and the next build would plan in full. */
const pastRacyWindow = () => new Promise((r) => setTimeout(r, 2300));

/** Discovery with recordDeps held until open(); counts changesSince calls. */
class HeldDeps implements JournalSource {
  private gate: Promise<void>;
  open!: () => void;
  asked = 0;
  filed = 0;
  onAsk: (() => void) | null = null;
  constructor(private readonly real: DiscoveryPeer) {
    this.gate = new Promise((r) => (this.open = r));
  }
  async changesSince(epoch: number, journalId: string | null, gen?: number) {
    this.asked++;
    const r = await this.real.changesSince(epoch, journalId, gen);
    this.onAsk?.();
    return r;
  }
  async recordDeps(entries: Parameters<JournalSource['recordDeps']>[0]) {
    await this.gate;
    await this.real.recordDeps(entries);
    this.filed += entries.length;
  }
}

async function withOrchestrator(p: TestProject, use: (svc: OrchestratorService, deps: HeldDeps) => Promise<void>): Promise<void> {
  expect(cliSync(['start'], p).code).toBe(0);
  await pastRacyWindow();
  await withProjectEnv(p, async () => {
    const config = loadDaemonConfig(p.root);
    const setup = new SetupPeer(p.root, true, silentLogger);
    const compilation = new CompilationPeer({ root: p.root, enabled: true, config, log: silentLogger, cache: null });
    const discovery = new DiscoveryPeer(p.root, true, silentLogger);
    const deps = new HeldDeps(discovery);
    const svc = new OrchestratorService({ root: p.root, setup, compilation, discovery: deps });
    try {
      await use(svc, deps);
    } finally {
      deps.open();
      await svc.settled();
      await compilation.close();
      setup.close();
      discovery.close();
    }
  });
}

const build = (svc: OrchestratorService): Promise<BuildSummary> => svc.build(REQ, () => undefined);

describe("a build's after-work", () => {
  it('a no-op right after a build does not wait for its header lists to reach discovery', async () => {
    const p = newProject();
    await withOrchestrator(p, async (svc, deps) => {
      expect(await build(svc)).toMatchObject({ ok: true, compiled: 1 });
      // recordDeps is held: a no-op that waited for it would never answer.
      expect(await build(svc)).toMatchObject({ ok: true, compiled: 0, upToDate: 1 });
      expect(deps.filed).toBe(0);
      deps.open();
      await svc.settled();
      expect(deps.filed).toBe(1);
    });
  });

  it('a new header shadowing one in use, made while the header lists were on their way, is still seen', async () => {
    const p = newProject({
      'replibuild.toml': '[project]\nname = "s"\n\n[compiler]\ninclude_dirs = ["b", "a"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n',
      'a/foo.h': '#define FOO "a"\n',
      'b/keep.txt': '',
      'src/main.cpp': '#include <cstdio>\n#include "foo.h"\nint main() { std::puts(FOO); }\n',
    });
    await withOrchestrator(p, async (svc, deps) => {
      expect(await build(svc)).toMatchObject({ ok: true, compiled: 1 });
      p.write('b/foo.h', '#define FOO "b"\n');
      // Discovery gets main.cpp's headers only once this build has asked what changed.
      const before = deps.asked;
      deps.onAsk = () => {
        if (deps.asked === before + 1) setTimeout(deps.open, 50);
      };
      expect(await build(svc)).toMatchObject({ ok: true, compiled: 1 });
      expect(deps.filed).toBe(1);
    });
  });

  it('a source edited while the header lists were on their way is rebuilt', async () => {
    const p = newProject();
    await withOrchestrator(p, async (svc, deps) => {
      expect(await build(svc)).toMatchObject({ ok: true, compiled: 1 });
      p.write('src/main.cpp', '#include <cstdio>\nint main() { std::puts("edited"); return 0; }\n');
      const before = deps.asked;
      deps.onAsk = () => {
        if (deps.asked === before + 1) setTimeout(deps.open, 50);
      };
      expect(await build(svc)).toMatchObject({ ok: true, compiled: 1, linked: 1 });
    });
  });
});
