// The shared remote cache's settings: `[daemons.compilation] remote_cache`,
// `remote_cache_mode`, `remote_cache_timeout_ms`, and REPLIBUILD_REMOTE_CACHE, which
// overrides the key (CI sets it without editing the project). A URL is checked here,
// once, and only ever shown redacted: a password never reaches a log, status or error.

export const REMOTE_CACHE_ENV = 'REPLIBUILD_REMOTE_CACHE';
export const REMOTE_CACHE_MODES = ['read-write', 'read-only'] as const;
export type RemoteCacheMode = (typeof REMOTE_CACHE_MODES)[number];
export const DEFAULT_REMOTE_TIMEOUT_MS = 200;

/** What the compile cache needs to open its remote tier. */
export interface RemoteCacheSettings {
  /** redis:// or rediss://, as written (it may hold a password: show `redacted`). */
  url: string;
  /** The URL with its password replaced by ***. */
  redacted: string;
  mode: RemoteCacheMode;
  timeoutMs: number;
}

/** `url` with any password replaced by *** (a URL that does not parse: everything after
 *  the scheme's "//" up to the last "@" is hidden). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url.replace(/\/\/[^/]*@/, '//***@');
  }
}

/** What is wrong with a remote cache URL, or null. The message never holds a password. */
export function remoteUrlProblem(url: string): string | null {
  const shown = JSON.stringify(redactUrl(url));
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `${shown} is not a URL; write redis://[user:password@]host:port[/db] (rediss:// for TLS)`;
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    return `${shown} is a ${u.protocol.replace(/:$/, '')}:// URL; only redis:// and rediss:// (TLS) are supported`;
  }
  if (!u.hostname) return `${shown} names no host; write redis://host:port`;
  if (u.pathname !== '' && u.pathname !== '/' && !/^\/\d{1,5}$/.test(u.pathname)) {
    return `${shown}: the path must be a database number (/0, /1, ...), not ${JSON.stringify(u.pathname)}`;
  }
  if (u.search || u.hash) return `${shown}: query strings and fragments are not supported`;
  return null;
}

/** The remote tier to open, or null (local only). The environment variable wins over the
 *  key; a bad URL in it is an Error naming the variable. */
export function remoteCacheSettings(
  compilation: { remote_cache: string; remote_cache_mode: RemoteCacheMode; remote_cache_timeout_ms: number },
  env: NodeJS.ProcessEnv = process.env,
): RemoteCacheSettings | null {
  const fromEnv = env[REMOTE_CACHE_ENV];
  const url = fromEnv !== undefined && fromEnv.trim() !== '' ? fromEnv.trim() : compilation.remote_cache;
  if (url === '') return null;
  if (url === fromEnv?.trim()) {
    const problem = remoteUrlProblem(url);
    if (problem) throw new Error(`${REMOTE_CACHE_ENV}: ${problem}`);
  }
  return { url, redacted: redactUrl(url), mode: compilation.remote_cache_mode, timeoutMs: compilation.remote_cache_timeout_ms };
}
