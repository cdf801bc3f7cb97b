// distcc host lists: distcc's own syntax, what replibuild uses of it, and clear errors
// (with file:line:col for the config key).
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDaemonConfig } from '../../config/daemon-config.js';
import { ConfigError } from '../../config/errors.js';
import { distccHostsSource, parseDistccHosts } from '../../config/distcc-hosts.js';

describe('parseDistccHosts', () => {
  it('reads HOST[:PORT][/LIMIT][,lzo] in both of distcc orders, defaulting port 3632 and limit 4', () => {
    expect(parseDistccHosts('10.0.0.2 build2:3633/8 build3/2:4000,lzo [fd00::5]:3700/3')).toEqual([
      { name: '10.0.0.2', host: '10.0.0.2', port: 3632, limit: 4, spec: '10.0.0.2:3632/4' },
      { name: 'build2:3633', host: 'build2', port: 3633, limit: 8, spec: 'build2:3633/8' },
      { name: 'build3:4000', host: 'build3', port: 4000, limit: 2, spec: 'build3:4000/2,lzo' },
      { name: '[fd00::5]:3700', host: '[fd00::5]', port: 3700, limit: 3, spec: '[fd00::5]:3700/3' },
    ]);
  });

  it('leaves out this machine and options of distcc\'s own scheduler; comments and newlines are space', () => {
    expect(parseDistccHosts('localhost/2 --randomize --localslots=3\n# farm\n10.0.0.2/1 127.0.0.1/4 # last\n').map((h) => h.name)).toEqual(['10.0.0.2']);
    expect(parseDistccHosts('localhost')).toEqual([]);
    expect(parseDistccHosts('')).toEqual([]);
  });

  it.each([
    ['user@build1/4', /ssh hosts are not supported/],
    ['build1,cpp,lzo', /pump mode/],
    ['+zeroconf', /zeroconf/],
    ['build1/0', /limit .* from 1 to 1000/],
    ['build1:99999', /port .* from 1 to 65535/],
    ['build1,fast', /unknown option ",fast"/],
    ['--frob', /not a distcc host-list option/],
    ['build1:3632:3633', /is not HOST\[:PORT\]/],
    ['a/2 a:3632/4', /listed twice/],
    [':3632', /does not start with a host/],
  ])('refuses %s, saying what to write', (text, why) => {
    expect(() => parseDistccHosts(text)).toThrow(why);
  });
});

describe('where the list comes from', () => {
  it('the key when set, else DISTCC_HOSTS, else nothing', () => {
    expect(distccHostsSource('a/2', { DISTCC_HOSTS: 'b' })).toEqual({ text: 'a/2', from: 'distcc_hosts' });
    expect(distccHostsSource('', { DISTCC_HOSTS: 'b/3' })).toEqual({ text: 'b/3', from: 'DISTCC_HOSTS' });
    expect(distccHostsSource('', { DISTCC_HOSTS: ' ' })).toBeNull();
    expect(distccHostsSource('', {})).toBeNull();
    // "localhost" is a list: this machine only, whatever the environment says.
    expect(distccHostsSource('localhost', { DISTCC_HOSTS: 'b' })).toEqual({ text: 'localhost', from: 'distcc_hosts' });
  });

  it('a bad distcc_hosts is an error at its file:line:col', () => {
    const root = mkdtempSync(join(tmpdir(), 'replibuild-distcc-cfg-'));
    mkdirSync(join(root, '.replibuild'));
    writeFileSync(join(root, '.replibuild/daemon_config.toml'), '[daemons.compilation]\nparallel_jobs = 2\ndistcc_hosts = "me@b1/4"\n');
    let err: unknown;
    try {
      loadDaemonConfig(root);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({ line: 3, column: 1, key: 'daemons.compilation.distcc_hosts' });
    expect((err as Error).message).toMatch(/daemon_config\.toml:3:1: .*distcc_hosts: "me@b1\/4": ssh hosts are not supported/);
    writeFileSync(join(root, '.replibuild/daemon_config.toml'), '[daemons.compilation]\ndistcc_hosts = " 10.0.0.2/2 "\n');
    expect(loadDaemonConfig(root).compilation.distcc_hosts).toBe('10.0.0.2/2');
  });
});
