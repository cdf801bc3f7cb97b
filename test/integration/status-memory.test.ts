// Issue 16: `replibuild status` shows each daemon's memory (V8 heap used/total
// and RSS) in the table and in --json, as the daemons themselves report it.
// Real daemons on free ports, through the real CLI.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import type { StatusReport } from '../../protocol/status.js';
import { cliSync, projectsPerTest } from '../helpers/project.js';

const project = projectsPerTest();

describe('status: memory', () => {
  it("shows each daemon's heap (used/total) and RSS, in the table and in --json", () => {
    const p = project();
    expect(cliSync(['start'], p).code).toBe(0);
    // After a build, so each daemon has done its work and holds what it keeps.
    const built = cliSync(['compile'], p);
    expect(built.code, built.stderr).toBe(0);

    const j = cliSync(['status', '--json'], p);
    expect(j.code, j.stderr).toBe(0);
    const rep = JSON.parse(j.stdout) as StatusReport;
    expect(rep.daemons.map((d) => d.name)).toEqual([...DAEMON_NAMES]);
    for (const d of rep.daemons) {
      expect(d.state).toBe('running');
      expect(d.heap_used_bytes, d.name).toBeGreaterThan(0);
      expect(d.heap_total_bytes, d.name).toBeGreaterThanOrEqual(d.heap_used_bytes!);
      // V8's heap lives inside the process's resident memory.
      expect(d.rss_bytes, d.name).toBeGreaterThan(d.heap_total_bytes!);
    }

    const t = cliSync(['status'], p);
    expect(t.code, t.stderr).toBe(0);
    for (const n of DAEMON_NAMES) {
      const line = t.stdout.split('\n').find((l) => l.startsWith(n));
      expect(line, n).toMatch(/rss \d+\.\d MB\s+heap \d+\.\d\/\d+\.\d MB/);
    }
  });

  it('shows no heap for a daemon that is not running', () => {
    const p = project();
    const j = cliSync(['status', '--json'], p);
    const rep = JSON.parse(j.stdout) as StatusReport;
    for (const d of rep.daemons) {
      expect(d.state).toBe('stopped');
      expect(d.heap_used_bytes).toBeNull();
      expect(d.heap_total_bytes).toBeNull();
    }
    const t = cliSync(['status'], p);
    expect(t.stdout).toMatch(/orchestrator\s+stopped.*rss -\s+heap -/);
  });

  it("runs each daemon with glibc malloc settings that give freed memory back, and keeps the user's own", () => {
    const p = project();
    p.env.MALLOC_ARENA_MAX = '1';
    expect(cliSync(['start'], p).code).toBe(0);
    const rep = JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
    for (const d of rep.daemons) {
      const env = new Map(
        readFileSync(`/proc/${d.pid}/environ`, 'utf8')
          .split('\0')
          .filter(Boolean)
          .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
      );
      expect(env.get('MALLOC_MMAP_THRESHOLD_'), d.name).toBe(String(256 * 1024));
      expect(env.get('MALLOC_TRIM_THRESHOLD_'), d.name).toBe(String(128 * 1024));
      expect(env.get('MALLOC_ARENA_MAX'), d.name).toBe('1');
    }
  });
});
