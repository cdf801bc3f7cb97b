// The shared remote tier on Redis (node-redis, loaded only when a remote cache is
// configured: the compile cache imports this module dynamically).
//
// Keys: replibuild:v1:<kind>:<key>. Values: an envelope holding the integrity the writer
// recorded and the same blob the local tier stores; TieredStore checks the one against
// the other, so a truncated, corrupt or foreign value is a miss (and removed), never
// used. A writer that can set both can still poison: see the README's "Team cache".
//
// Nothing here may slow or fail a build. Every call is bounded by the timeout; a call
// that fails, times out or finds the client offline is a miss (get) or a lost write
// (put), counted, never thrown. After a few failures in a row a circuit breaker refuses
// calls at once for a cooling period, then lets one probe through; the client
// reconnects by itself, and a reconnect closes the circuit again.

import { createClient, RESP_TYPES } from '@redis/client';
import type { CacheTier, EntryKind, TierBlob } from '../tier.js';
import { integrityOf } from '../tier.js';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';
import type { RemoteCacheSettings } from '../../config/remote-cache.js';

export const REDIS_KEY_PREFIX = 'replibuild:v1:';
const ENVELOPE = Buffer.from('RBR1');
/** Reconnect backoff: quick enough that a restarted Redis is used again within seconds. */
const RECONNECT_MAX_MS = 2000;

export function redisKey(kind: EntryKind, key: string): string {
  return `${REDIS_KEY_PREFIX}${kind}:${key}`;
}

/** RBR1, the integrity's length (u16), the integrity (ASCII), the blob. */
export function encodeEnvelope(data: Buffer, integrity = integrityOf(data)): Buffer {
  const i = Buffer.from(integrity, 'latin1');
  const len = Buffer.alloc(2);
  len.writeUInt16BE(i.length);
  return Buffer.concat([ENVELOPE, len, i, data]);
}

/** The blob and its claimed integrity; a value not in this shape gets an integrity that
 *  matches nothing, so the store treats it as corrupt and removes it. */
export function decodeEnvelope(v: Buffer): TierBlob {
  if (v.length < 6 || !v.subarray(0, 4).equals(ENVELOPE)) return { data: v, integrity: 'malformed' };
  const n = v.readUInt16BE(4);
  if (6 + n > v.length) return { data: v, integrity: 'malformed' };
  return { data: v.subarray(6 + n), integrity: v.subarray(6, 6 + n).toString('latin1') };
}

/** What the tier reports to the cache's counters (CacheStats). */
export interface RemoteSink {
  remote(what: 'error' | 'skipped'): void;
  remoteWrote(bytes: number): void;
  remoteCall(ms: number): void;
}

export interface RemoteStatus {
  url: string;
  mode: string;
  state: 'reachable' | 'unreachable' | 'connecting';
  reason?: string;
  circuit: CircuitState;
}

class TimeoutError extends Error {}

/** A short reason a person can act on; never the URL or a password. */
export function describeRedisError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string } | null)?.code;
  if (/WRONGPASS|NOAUTH|invalid (username-password|password)/i.test(msg)) return 'authentication failed (check the user and password)';
  if (/NOPERM/.test(msg)) return 'permission denied for this ACL user';
  if (/OOM/.test(msg)) return 'Redis is full (maxmemory reached and its policy refuses writes)';
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found';
  if (e instanceof TimeoutError) return msg;
  if (/offline|closed|Socket closed/i.test(msg)) return 'not connected';
  return msg.replace(/rediss?:\/\/[^\s]*/g, '<url>').slice(0, 200);
}

export class RedisTier implements CacheTier {
  readonly name = 'redis';
  readonly writable: boolean;
  readonly breaker: CircuitBreaker;
  private readonly client;
  private ready = false;
  private lastError: string | undefined;
  private sink: RemoteSink | null = null;
  private closed = false;

  constructor(
    readonly settings: RemoteCacheSettings,
    private readonly log: (line: string) => void = () => undefined,
    breaker = new CircuitBreaker(3, 10_000),
  ) {
    this.writable = settings.mode === 'read-write';
    this.breaker = breaker;
    this.client = createClient({
      url: settings.url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: Math.max(1000, settings.timeoutMs * 5),
        reconnectStrategy: (retries: number) => Math.min(100 * 2 ** Math.min(retries, 10), RECONNECT_MAX_MS),
      },
    }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    this.client.on('error', (e: unknown) => this.noteDown(e));
    this.client.on('ready', () => {
      if (!this.ready) this.log(`remote cache ${settings.redacted}: connected`);
      this.ready = true;
      this.lastError = undefined;
      this.breaker.success();
    });
    this.client.on('end', () => (this.ready = false));
    // Never keeps a process (the in-process CLI) alive on its own.
    this.client.unref();
    this.client.connect().catch((e: unknown) => this.noteDown(e));
  }

  /** Counts go to `sink` from now on. */
  observe(sink: RemoteSink): void {
    this.sink = sink;
  }

  private noteDown(e: unknown): void {
    const reason = describeRedisError(e);
    const wasUp = this.ready || this.lastError === undefined;
    this.ready = false;
    if (reason !== this.lastError || wasUp) this.log(`remote cache ${this.settings.redacted}: unreachable: ${reason}`);
    this.lastError = reason;
    if (/^authentication|^permission/.test(reason)) this.breaker.trip();
  }

  status(): RemoteStatus {
    const s: RemoteStatus = {
      url: this.settings.redacted,
      mode: this.settings.mode,
      state: this.ready ? 'reachable' : this.lastError ? 'unreachable' : 'connecting',
      circuit: this.breaker.current,
    };
    if (!this.ready && this.lastError) s.reason = this.lastError;
    return s;
  }

  /** Runs one command, bounded by the timeout and the breaker; null when not answered. */
  private async call<T>(what: string, run: () => Promise<T>): Promise<{ value: T } | null> {
    if (this.closed) return null;
    if (!this.breaker.allow()) {
      this.sink?.remote('skipped');
      return null;
    }
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(`no answer within ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
        timer.unref();
      });
      const value = await Promise.race([run(), timeout]);
      this.breaker.success();
      this.sink?.remoteCall(performance.now() - t0);
      return { value };
    } catch (e) {
      const reason = describeRedisError(e);
      this.breaker.failure();
      this.sink?.remote('error');
      // A refused write (Redis full, read-only replica) says nothing about reachability.
      if (/^Redis is full|^permission/.test(reason)) this.log(`remote cache: ${what} failed: ${reason}`);
      else this.noteDown(e);
      return null;
    } finally {
      clearTimeout(timer);
    }
  }

  async has(kind: EntryKind, key: string): Promise<boolean> {
    const r = await this.call('exists', () => this.client.exists(redisKey(kind, key)));
    return r === null ? false : r.value > 0;
  }

  async get(kind: EntryKind, key: string): Promise<TierBlob | null> {
    const r = await this.call('get', () => this.client.get(redisKey(kind, key)));
    const v = r?.value as Buffer | null | undefined;
    return v ? decodeEnvelope(Buffer.from(v)) : null;
  }

  async put(kind: EntryKind, key: string, data: Buffer): Promise<void> {
    if (!this.writable) return;
    const value = encodeEnvelope(data);
    const r = await this.call('put', () => this.client.set(redisKey(kind, key), value));
    if (r) this.sink?.remoteWrote(value.length);
  }

  async remove(kind: EntryKind, key: string): Promise<void> {
    // A read-only user removes nothing: the next writer overwrites the bad value.
    if (!this.writable) return;
    await this.call('remove', () => this.client.del(redisKey(kind, key)));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.client.destroy();
  }
}
