// configStillHolds lets a build (a no-op or an edit) skip asking setup for the config.
// Each case here is a change setup would re-read on: if the held config were still
// served, the build would run with a config the files no longer say.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DAEMON_CONFIG } from '../../config/daemon-config.js';
import type { Change, ChangesResult } from '../../protocol/discovery.js';
import type { ConfigSnapshot } from '../../protocol/setup.js';
import { configFacts, configStillHolds, type JournalPoint } from '../../daemons/orchestrator/journal-point.js';
import { WatchCoverage } from '../../daemons/orchestrator/watch-coverage.js';
import { projectConfig, resolvedTarget } from '../helpers/config-fixture.js';

const dirs: string[] = [];
/** The clock the stamps are judged by runs this far ahead, so that what a test writes is
 *  past the racy window (2 s) of both the build's stamps and the check's: a ctime cannot
 *  be set back. */
const AHEAD_MS = 10_000;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + AHEAD_MS });
});
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A project and the point a build of it left: its config facts taken now. */
function setUp(opts: { daemonConfig?: boolean } = {}) {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'config-holds-')));
  dirs.push(root);
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, '.replibuild'));
  writeFileSync(join(root, 'replibuild.toml'), '[targets.app]\nsources = ["src/*.cpp"]\n');
  writeFileSync(join(root, 'src/main.cpp'), 'int main() { return 0; }\n');
  if (opts.daemonConfig) writeFileSync(join(root, '.replibuild/daemon_config.toml'), '');
  const project = projectConfig(root, [resolvedTarget({ name: 'app', kind: 'executable', sources: ['src/main.cpp'] })]);
  const snapshot: ConfigSnapshot = { project, daemon: DEFAULT_DAEMON_CONFIG, issues: [], generation: 3 };
  const coverage = new WatchCoverage(root, { roots: [root], ignored: [], build_dir: 'build' });
  const config = configFacts(snapshot, coverage, Date.now());
  expect(config).not.toBeNull();
  const point: JournalPoint = {
    epoch: 7,
    journal_id: 'j1',
    config_generation: 3,
    compiler_id: 'gcc',
    scope: coverage.key,
    targets: new Set(['app']),
    tu_count: 1,
    complete: true,
    unwatched: new Map(),
    outputs: new Map(),
    dirs: new Map(),
    config,
  };
  const changes = (list: Change[] = [], over: Partial<ChangesResult> = {}): ChangesResult => ({
    epoch: 8,
    journal_id: 'j1',
    complete: true,
    changes: list,
    shadowing: [],
    ...over,
  });
  return { root, snapshot, coverage, point, changes };
}

describe('configStillHolds', () => {
  it('holds with nothing changed, and with existing sources and headers edited', () => {
    const { snapshot, coverage, point, changes } = setUp();
    expect(configStillHolds(point, changes(), coverage)).toBe(snapshot);
    const edits: Change[] = [
      { path: 'src/main.cpp', kind: 'changed' },
      { path: 'include/a.h', kind: 'changed' },
    ];
    expect(configStillHolds(point, changes(edits), coverage)).toBe(snapshot);
  });

  it('does not hold when the journal reports a TOML changed, added or removed', () => {
    const { coverage, point, changes } = setUp({ daemonConfig: true });
    const src: Change = { path: 'src/main.cpp', kind: 'changed' };
    expect(configStillHolds(point, changes([src, { path: 'replibuild.toml', kind: 'changed' }]), coverage)).toBeNull();
    for (const kind of ['changed', 'added', 'removed'] as const) {
      expect(configStillHolds(point, changes([{ path: '.replibuild/daemon_config.toml', kind }]), coverage)).toBeNull();
    }
  });

  it('does not hold when any file came or went: a glob may match it', () => {
    const { coverage, point, changes } = setUp();
    expect(configStillHolds(point, changes([{ path: 'src/main.cpp', kind: 'changed' }, { path: 'lib/new.cpp', kind: 'added' }]), coverage)).toBeNull();
    expect(configStillHolds(point, changes([{ path: 'lib/old.cpp', kind: 'removed' }]), coverage)).toBeNull();
  });

  it("does not hold when a TOML's own stat moved, though the journal says nothing", () => {
    const { root, coverage, point, changes } = setUp({ daemonConfig: true });
    writeFileSync(join(root, 'replibuild.toml'), '[targets.app]\nsources = ["src/*.cpp", "lib/*.cpp"]\n');
    expect(configStillHolds(point, changes([{ path: 'src/main.cpp', kind: 'changed' }]), coverage)).toBeNull();
  });

  it('does not hold when daemon_config.toml appears or disappears, though the journal says nothing', () => {
    const absent = setUp();
    writeFileSync(join(absent.root, '.replibuild/daemon_config.toml'), '');
    expect(configStillHolds(absent.point, absent.changes(), absent.coverage)).toBeNull();

    const present = setUp({ daemonConfig: true });
    rmSync(join(present.root, '.replibuild/daemon_config.toml'));
    expect(configStillHolds(present.point, present.changes(), present.coverage)).toBeNull();
  });

  it('does not hold when a source dir changed (a new file the journal does not report)', () => {
    const { root, coverage, point, changes } = setUp();
    writeFileSync(join(root, 'src/gen_extra.cpp'), '');
    expect(configStillHolds(point, changes([{ path: 'src/main.cpp', kind: 'changed' }]), coverage)).toBeNull();
  });

  it('vouches for nothing with a TOML changed just before the build (racy stamp)', () => {
    const { root, snapshot, coverage, point, changes } = setUp();
    writeFileSync(join(root, 'replibuild.toml'), '[targets.app]\nsources = ["src/*.cpp"]\n');
    const facts = configFacts(snapshot, coverage, Date.now() - AHEAD_MS);
    expect(facts?.configFiles.get(join(root, 'replibuild.toml'))).toBe('racy');
    // Only the TOML's stamp is racy: the source dirs' are the point's, taken past the window.
    expect(configStillHolds({ ...point, config: { ...facts!, sourceDirs: point.config!.sourceDirs } }, changes(), coverage)).toBeNull();
  });

  it('does not hold on an incomplete journal, another journal or another scope', () => {
    const { root, coverage, point, changes } = setUp();
    expect(configStillHolds(point, changes([], { complete: false }), coverage)).toBeNull();
    expect(configStillHolds(point, changes([], { journal_id: 'j2' }), coverage)).toBeNull();
    const other = new WatchCoverage(root, { roots: [root], ignored: ['gen_*'], build_dir: 'build' });
    expect(configStillHolds(point, changes(), other)).toBeNull();
    expect(configStillHolds(point, null, coverage)).toBeNull();
    expect(configStillHolds({ ...point, config: null }, changes(), coverage)).toBeNull();
  });
});
