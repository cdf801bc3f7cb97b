// Which host list the compilation service gets, and what status says of it: the key,
// else DISTCC_HOSTS; a bad DISTCC_HOSTS is not used, and status says why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultDaemonConfig } from '../../config/daemon-config.js';
import { silentLogger } from '../../daemons/common/logger.js';
import { distccDetails } from '../../daemons/compilation/distcc-status.js';
import { distccSettings } from '../../daemons/host/open-compilation.js';

const made: string[] = [];
const root = () => {
  const d = mkdtempSync(join(tmpdir(), 'replibuild-distcc-settings-'));
  made.push(d);
  return d;
};
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const withKey = (hosts: string) => {
  const c = defaultDaemonConfig();
  c.compilation.distcc_hosts = hosts;
  return c;
};

describe('distccSettings', () => {
  it('neither the key nor DISTCC_HOSTS: no distcc at all', () => {
    expect(distccSettings(root(), defaultDaemonConfig(), silentLogger, {})).toBeUndefined();
    expect(distccDetails(undefined, [])).toEqual({});
  });

  it('the key wins over DISTCC_HOSTS; "localhost" means none', () => {
    const s = distccSettings(root(), withKey('a/2'), silentLogger, { DISTCC_HOSTS: 'b/3' })!;
    expect(s.hosts.map((h) => h.name)).toEqual(['a']);
    expect(s.from).toBe('distcc_hosts');
    expect(distccSettings(root(), withKey('localhost'), silentLogger, { DISTCC_HOSTS: 'b/3' })!.hosts).toEqual([]);
    expect(distccSettings(root(), defaultDaemonConfig(), silentLogger, { DISTCC_HOSTS: 'b/3' })).toMatchObject({ from: 'DISTCC_HOSTS', hosts: [{ name: 'b', limit: 3 }] });
  });

  it('a bad DISTCC_HOSTS is not used, and status says why', () => {
    const warned: string[] = [];
    const s = distccSettings(root(), defaultDaemonConfig(), { ...silentLogger, warn: (l: string) => warned.push(l) }, { DISTCC_HOSTS: 'me@b1/4' })!;
    expect(s.hosts).toEqual([]);
    expect(s.problem).toMatch(/^DISTCC_HOSTS: "me@b1\/4": ssh hosts are not supported/);
    expect(warned.join('\n')).toMatch(/distcc not used: DISTCC_HOSTS/);
    expect(distccDetails(s, []).distcc).toMatch(/^not used: DISTCC_HOSTS: .*; compiling locally$/);
  });
});
