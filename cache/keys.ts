// The two cache keys. Every input that can change the object or the diagnostics
// must be in them; anything that cannot (the output path) must not, or the same
// compile in another checkout would miss for nothing.
//
// Fields are framed with their length, so ["ab","c"] and ["a","bc"] never hash alike.

import { createHash, type Hash } from 'node:crypto';
import { cpus } from 'node:os';
import type { CacheableArgs, EnvAnalysis } from './args.js';

/** Bump when the key layout or the stored formats change: old entries then simply miss.
 *  2: comment-blind source and header hashes, depend-mode results, sibling markers. */
export const CACHE_FORMAT_VERSION = 'replibuild-cache-2';

export class KeyHasher {
  // The framed fields are collected and hashed in one update: a key has a few dozen
  // fields, and each update() is a call into the crypto binding (the bytes hashed,
  // and so the keys, are the same as with one update per piece).
  private readonly parts: (string | Buffer)[] = [];
  private binary = false;

  field(label: string, value: string | Buffer): this {
    if (typeof value === 'string') {
      this.parts.push(`${label}:${Buffer.byteLength(value, 'utf8')}:`, value, '\n');
    } else {
      this.binary = true;
      this.parts.push(`${label}:${value.length}:`, value, '\n');
    }
    return this;
  }

  list(label: string, values: readonly string[]): this {
    this.field(label, String(values.length));
    values.forEach((v, i) => this.field(`${label}[${i}]`, v));
    return this;
  }

  digest(): string {
    return this.into(createHash('sha256')).digest('hex');
  }

  /** `h`, updated with the fields as digest() hashes them. */
  into(h: Hash): Hash {
    if (!this.binary) h.update(this.parts.join(''), 'utf8');
    else for (const p of this.parts) h.update(p);
    return h;
  }
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The CPU model, for -march=native and friends, whose code depends on this machine. */
function hostCpu(): string {
  return cpus()[0]?.model ?? 'unknown';
}

/** The prefix-map options name the working directory in "OLD" when the user wants
 *  paths made relative (-fdebug-prefix-map=$PWD=.). That spelling differs between
 *  checkouts while meaning the same thing, so an OLD equal to cwd becomes a marker. */
export function cwdIndependentArgs(args: readonly string[], cwd: string): string[] {
  return args.map((a) => {
    const m = /^(-f(?:debug|file|macro|profile)-prefix-map=)([^=]*)=(.*)$/.exec(a);
    if (!m) return a;
    const from = m[2]!.replace(/\/+$/, '');
    return from === cwd ? `${m[1]}<cwd>=${m[3]}` : a;
  });
}

export interface KeyContext {
  /** CompilerIdentity.cache_id */
  compilerId: string;
  args: CacheableArgs;
  env: EnvAnalysis;
  cwd: string;
  /** debugDirForKey(): the working directory as it reaches the object, or null. */
  debugDir: string | null;
}

function common(h: KeyHasher, mode: string, c: KeyContext): KeyHasher {
  h.field('version', CACHE_FORMAT_VERSION)
    .field('mode', mode)
    .field('compiler', c.compilerId)
    .field('language', c.args.language)
    .field('debug-dir', c.debugDir ?? '')
    .field('host-cpu', c.args.hostDependent ? hostCpu() : '')
    // Says which hash stands for the source below (and for the manifest's headers).
    .field('comment-blind', c.args.commentBlind ? '1' : '0');
  h.field('env', String(c.env.hashed.length));
  for (const [k, v] of c.env.hashed) h.field(`env.${k}`, v);
  return h;
}

/** directKey's fields before the source's hash, hashed, by the command line's analysis
 *  (prepare.ts keeps one per command line, so this lives and goes with it) and the rest of
 *  the context it was made for. */
interface DirectPrefix {
  compilerId: string;
  env: EnvAnalysis;
  cwd: string;
  debugDir: string | null;
  hash: Hash;
}
const directPrefixes = new WeakMap<CacheableArgs, DirectPrefix>();

/**
 * Direct-mode key (key1): names the manifest. The source path is in it as given
 * because __FILE__ expands to it; the source content by hash. Every hit computes one:
 * the fields before the source's hash (a few dozen, each framed, the arguments matched
 * against a pattern) are hashed once per context and the hash state copied, the same
 * bytes hashed either way.
 */
export function directKey(c: KeyContext, sourceHash: string): string {
  let p = directPrefixes.get(c.args);
  if (!p || p.compilerId !== c.compilerId || p.env !== c.env || p.cwd !== c.cwd || p.debugDir !== c.debugDir) {
    const fields = common(new KeyHasher(), 'direct', c).list('args', cwdIndependentArgs(c.args.keyArgs, c.cwd)).field('source-path', c.args.source);
    p = { compilerId: c.compilerId, env: c.env, cwd: c.cwd, debugDir: c.debugDir, hash: fields.into(createHash('sha256')) };
    directPrefixes.set(c.args, p);
  }
  return new KeyHasher().field('source-hash', sourceHash).into(p.hash.copy()).digest('hex');
}

/**
 * The "sibling" key: key1 without the options whose whole effect shows in the
 * preprocessed output (-I, -D, -include...). A marker stored under it says that this
 * source has been compiled with these other options before, under some -D/-I set:
 * only then can a never-seen key1 hope for a preprocessor-mode hit (a -D that changes
 * no token), so only then is `-E` worth running before the compile of a new key1.
 */
export function siblingKey(c: KeyContext, sourceHash: string): string {
  return common(new KeyHasher(), 'sibling', c)
    .list('args', cwdIndependentArgs(c.args.nonPreprocessorArgs, c.cwd))
    .field('source-path', c.args.source)
    .field('source-hash', sourceHash)
    .digest();
}

/**
 * The result key of a compile that ran without `-E` (ccache's depend mode): key1 and
 * every header the depfile names with the hash the manifest entry records for it. It
 * only names the result; what makes a hit correct is the manifest entry's checks.
 */
export function dependKey(key1: string, headers: readonly { path: string; hash: string }[]): string {
  const h = new KeyHasher().field('version', CACHE_FORMAT_VERSION).field('mode', 'depend').field('key1', key1);
  h.field('headers', String(headers.length));
  for (const x of headers) h.field('path', x.path).field('hash', x.hash);
  return h.digest();
}

/**
 * Preprocessor-mode key (key2): names the result. The preprocessed output carries
 * the effect of -I/-D/-include and the line markers name every file read (and
 * through them __FILE__), so only the other arguments are hashed beside it.
 */
export function preprocessorKey(c: KeyContext, preprocessedHash: string): string {
  return common(new KeyHasher(), 'preprocessed', c)
    .list('args', cwdIndependentArgs(c.args.nonPreprocessorArgs, c.cwd))
    .field('preprocessed', preprocessedHash)
    .digest();
}
