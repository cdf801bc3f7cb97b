// Issue 12: the remote tier's circuit breaker, URL redaction and checks, its value envelope.
import { describe, expect, it } from 'vitest';
import { CircuitBreaker } from '../../cache/tiers/circuit-breaker.js';
import { decodeEnvelope, describeRedisError, encodeEnvelope } from '../../cache/tiers/redis.js';
import { checkIntegrity } from '../../cache/tier.js';
import { parseDaemonConfig } from '../../config/daemon-config.js';
import { redactUrl, remoteCacheSettings, remoteUrlProblem } from '../../config/remote-cache.js';

describe('circuit breaker', () => {
  it('opens after N failures in a row, refuses during the cooling period, then lets one probe through', () => {
    let now = 0;
    const b = new CircuitBreaker(3, 1000, () => now);
    b.failure();
    b.failure();
    expect(b.allow()).toBe(true);
    b.success(); // a success in between resets the run
    b.failure();
    b.failure();
    expect(b.current).toBe('closed');
    b.failure();
    expect(b.current).toBe('open');
    expect(b.allow()).toBe(false);
    now = 999;
    expect(b.allow()).toBe(false);
    now = 1000;
    expect(b.allow()).toBe(true); // the probe
    expect(b.allow()).toBe(false); // only one at a time
    b.failure(); // a failed probe: another cooling period
    expect(b.current).toBe('open');
    now = 1500;
    expect(b.allow()).toBe(false);
    now = 2000;
    expect(b.allow()).toBe(true);
    b.success();
    expect(b.current).toBe('closed');
    expect(b.allow()).toBe(true);
  });

  it('trip() opens at once', () => {
    const b = new CircuitBreaker(3, 1000, () => 0);
    b.trip();
    expect(b.allow()).toBe(false);
  });
});

describe('URLs', () => {
  it('redacts the password, keeps the user', () => {
    expect(redactUrl('redis://ci:hunter2@cache.example:6380/2')).toBe('redis://ci:***@cache.example:6380/2');
    expect(redactUrl('rediss://:hunter2@h:1')).toBe('rediss://:***@h:1');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    expect(redactUrl('redis://u:hun ter2@bad url')).not.toContain('hunter2');
  });

  it('rejects what is not a redis URL, without showing the password', () => {
    expect(remoteUrlProblem('redis://u:pw@h:6379/3')).toBeNull();
    expect(remoteUrlProblem('http://u:secretpw@h:6379')).toMatch(/only redis:\/\/ and rediss:\/\//);
    expect(remoteUrlProblem('http://u:secretpw@h:6379')).not.toContain('secretpw');
    expect(remoteUrlProblem('redis://h:6379/db')).toMatch(/database number/);
    expect(remoteUrlProblem('nonsense')).toMatch(/not a URL/);
  });

  it('a bad remote_cache is a config error naming the key, file:line:col', () => {
    const text = '[daemons.compilation]\nremote_cache = "http://u:secretpw@h"\nremote_cache_mode = "write-only"\nremote_cache_timeout_ms = 0\n';
    let msg = '';
    try {
      parseDaemonConfig(text, 'daemon_config.toml');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/daemon_config\.toml:2:\d+.*daemons\.compilation\.remote_cache/);
    expect(msg).toMatch(/remote_cache_mode must be "read-write" or "read-only"/);
    expect(msg).toMatch(/remote_cache_timeout_ms must be between 1 and 60000 ms/);
    expect(msg).not.toContain('secretpw');
  });

  it('REPLIBUILD_REMOTE_CACHE overrides the key; unset and empty mean local only', () => {
    const c = parseDaemonConfig('[daemons.compilation]\nremote_cache = "redis://a:1"\nremote_cache_mode = "read-only"\n', 'f').compilation;
    expect(remoteCacheSettings(c, {})).toMatchObject({ url: 'redis://a:1', mode: 'read-only', timeoutMs: 200 });
    expect(remoteCacheSettings(c, { REPLIBUILD_REMOTE_CACHE: 'redis://u:pw@b:2' })).toMatchObject({ url: 'redis://u:pw@b:2', redacted: 'redis://u:***@b:2' });
    expect(() => remoteCacheSettings(c, { REPLIBUILD_REMOTE_CACHE: 'ftp://u:pw@b' })).toThrow(/REPLIBUILD_REMOTE_CACHE/);
    expect(remoteCacheSettings(parseDaemonConfig('', 'f').compilation, {})).toBeNull();
  });

  it('says "authentication failed" for WRONGPASS and NOAUTH', () => {
    expect(describeRedisError(new Error('WRONGPASS invalid username-password pair or user is disabled.'))).toMatch(/^authentication failed/);
    expect(describeRedisError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('connection refused');
    expect(describeRedisError(new Error('OOM command not allowed when used memory > maxmemory'))).toMatch(/full/);
  });
});

describe('envelope', () => {
  it('carries the integrity; truncated or foreign values fail the check', () => {
    const data = Buffer.from('RBC1 some blob');
    const env = encodeEnvelope(data);
    const back = decodeEnvelope(env);
    expect(checkIntegrity(back.data, back.integrity)).toBe(true);
    const cut = decodeEnvelope(env.subarray(0, env.length - 1));
    expect(checkIntegrity(cut.data, cut.integrity)).toBe(false);
    const foreign = decodeEnvelope(Buffer.from('hello'));
    expect(checkIntegrity(foreign.data, foreign.integrity)).toBe(false);
  });
});
