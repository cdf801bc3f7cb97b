// Link results in the cache: after `rm -rf build`, executables and libraries come
// back without running the linker or ar.
//
// Key: the command with the output path taken out, the tool's identity (the
// compiler's for links through the driver, plus the ld it runs; ar's own stat for
// archives), the environment the linker reads, and the content hash of every file
// the command names that exists (objects, archives, -l libraries found in -L
// dirs, linker scripts and version scripts given by path). Options that make the
// linker write extra files are not cached.

import { execFile } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { TargetKind } from '../config/types.js';
import { findOnPath } from '../config/compiler.js';
import { CACHE_FORMAT_VERSION, KeyHasher, sha256Hex } from './keys.js';
import { contentStampKeyOf, statBigSync, stampKeyOf } from '../fs/stat-stamp.js';
import { resolverFrom } from '../fs/resolver.js';
import type { CacheGuard } from './cache-guard.js';
import type { CacheStats } from './stats.js';
import { CorruptEntryError } from './blob.js';
import type { BackgroundStores } from './background-stores.js';
import type { TieredStore } from './tiered-store.js';
import { decodeLink, encodeLink, encodeLinkHeader, type LoadedLink } from './link-result.js';
import type { StoredObjects } from './stored-objects.js';
import { creatingDir, ObjectGoneError } from './restore.js';

export interface LinkJob {
  /** Directory the tool runs in; relative paths are relative to it. */
  cwd: string;
  kind: TargetKind;
  /** Arguments of the tool (not the tool itself), the output path included. */
  args: string[];
  /** The output as it appears in `args`. */
  output: string;
  /** Objects and libraries the link reads (the cache also hashes every existing file named in args). */
  inputs: string[];
  /** Content sha256 (hex) of an input, from the caller's stat-checked hash cache: saves
   *  reading hundreds of unchanged objects. Stamps are still taken here first, so an
   *  input that changes meanwhile keeps the result out of the cache. */
  hashOf?: (input: string) => Promise<string | null>;
  /** An input was just compiled or linked (not restored from the cache): a stored link
   *  of it is unlikely, so skip the look-up and only store. */
  freshInputs?: boolean;
  /** What the caller already holds of an input (asked by its absolute path, resolved
   *  against cwd), from before this link: its content's sha256 and the stat stamp
   *  (stampKeyOf) taken before the read that hash came from (see KnownInput). With freshInputs, such an input is neither stat'ed nor read before
   *  the linker starts (one edit of a 20,000-object program spares 20,000 stats on its
   *  path); its stamp is checked once the linker is done, before the result is stored.
   *  Never used for a look-up: a stale answer there would restore a stale output. */
  known?: (abs: string) => KnownInput | undefined;
  /** With freshInputs and `known`: the inputs this build wrote (compiled, restored from
   *  the cache or linked now).
   *  Only these, and the files the arguments name beyond the inputs, are stamped before the
   *  linker starts; every other input is asked of `known` once it has started, off the
   *  link's path (an edit of a 20,000-object program: 20,000 look-ups, 40-100 ms here).
   *  What `known` holds is from before the link, so its stamp still says whether the file
   *  moved under the linker; an input it does not know then has no stamp from before the
   *  link, and the result is not stored. */
  writtenNow?: ReadonlySet<string>;
}

/** While a file still has `stamp`, its content has `hash`: the stamp was taken before
 *  the bytes were read, so a later write moves it (but for one in the same clock tick,
 *  the limit a stamp taken at the linker's start has too). The hasher's kept entries are
 *  also outside the racy window (file-hasher.ts); what this build read of an output
 *  (output-hashes.ts) may not be. */
export interface KnownInput {
  stamp: string;
  hash: string;
}

/** Who links: for the driver, CompilerIdentity (its id); for ar, archiverIdentity(). */
export interface ToolIdentity {
  id: string;
  /** Path of the program run: the driver, whose ld is then looked up and stat'ed, or ar. */
  path: string;
}

export interface LinkRunResult {
  exit_code: number;
  stderr: string;
}

export interface LinkOutcome {
  cached: boolean;
  exit_code: number;
  stderr: string;
  duration_ms: number;
  uncacheable_reason?: string;
  /** The output's content hash: as a hit's result recorded it, or as the linker's output
   *  was read to be stored. */
  restored?: RestoredOutput;
}

/** The sha256 (hex) of the bytes a hit restored (or a link wrote, read to store them), and
 *  contentStampKeyOf the file taken right after they were written (before they were read):
 *  while the file still has that stamp (after the caller's rename too), they are its
 *  content, and reading it to hash it again can be spared. */
export interface RestoredOutput {
  sha256: string;
  stamp: string;
}

/** A link's store among the background stores, apart from the compiles' key1s. */
const pendingKey = (key: string): string => `link:${key}`;

const LINK_ENV = [
  'LIBRARY_PATH', 'LD_RUN_PATH', 'GCC_EXEC_PREFIX', 'COMPILER_PATH', 'SOURCE_DATE_EPOCH', 'ZERO_AR_DATE',
  'LANG', 'LC_ALL', 'LC_MESSAGES', 'LANGUAGE',
] as const;

/** Linker options that write files besides the output, or read lists we cannot see. */
const WRITES_EXTRA = /^-?-(Map|out-implib|dependency-file|print-map|M|trace|Mmap|cref|stats|gdb-index|save-temps|why-extract)(=|$)/;

/** No inode in a tool's identity: it keys results a shared cache hands to other machines
 *  (see CompilerIdentity.cache_id). */
export async function archiverIdentity(ar: string, cwd = process.cwd()): Promise<ToolIdentity & { size: number; mtime_ms: number }> {
  const path = findOnPath(ar, { cwd });
  if (!path) throw new Error(`archiver "${ar}" not found on PATH; install binutils or name its full path`);
  const st = await stat(path);
  const fields = { kind: 'ar', path, size: st.size, mtime_ms: st.mtimeMs };
  return { ...fields, id: sha256Hex(JSON.stringify(fields)) };
}

const ldMemo = new Map<string, Promise<string>>();

/** The stat identity of the ld a driver runs: binutils can change without the compiler. */
function driverLinkerStamp(driver: string): Promise<string> {
  let p = ldMemo.get(driver);
  if (!p) {
    p = new Promise<string>((res) => {
      execFile(driver, ['-print-prog-name=ld'], { timeout: 10_000 }, (err, stdout) => {
        const name = err ? '' : String(stdout).trim();
        const path = name ? (isAbsolute(name) ? name : findOnPath(name)) : null;
        if (!path) return res('ld:unknown');
        stat(path).then(
          (st) => res(`ld:${path}:${st.size}:${st.mtimeMs}`),
          () => res('ld:unknown'),
        );
      });
    });
    ldMemo.set(driver, p);
  }
  return p;
}

function isOutputArg(a: string, output: string): boolean {
  return a === output;
}

/** Every file named by the command that exists: plain arguments, -Wl parts, option=value forms. */
function namedFiles(args: readonly string[], output: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (isOutputArg(a, output)) continue;
    if (a === '-o') {
      i++;
      continue;
    }
    const parts = a.startsWith('-Wl,') ? a.slice(4).split(',') : [a];
    for (const p of parts) {
      if (!p.startsWith('-')) out.push(p);
      else if (p.includes('=')) out.push(p.slice(p.indexOf('=') + 1));
      else if (/^-T./.test(p)) out.push(p.slice(2));
    }
  }
  return out;
}

/** -l names resolved in the -L directories, as ld would look (shared, then static). */
function libraryCandidates(args: readonly string[]): string[] {
  const dirs: string[] = [];
  const libs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-L' && i + 1 < args.length) dirs.push(args[++i]!);
    else if (a.startsWith('-L')) dirs.push(a.slice(2));
    else if (a === '-l' && i + 1 < args.length) libs.push(args[++i]!);
    else if (a.startsWith('-l')) libs.push(a.slice(2));
  }
  const out: string[] = [];
  for (const l of libs) {
    for (const d of dirs) {
      if (l.startsWith(':')) out.push(`${d}/${l.slice(1)}`);
      else out.push(`${d}/lib${l}.so`, `${d}/lib${l}.a`);
    }
  }
  return out;
}

/** A file the key names, with its stamp (stampKeyOf) from before the link; null: not a
 *  file (absent). `hash`: its content's, known with the stamp (LinkJob.known). */
interface Stamped {
  f: string;
  abs: string;
  stamp: string | null;
  hash?: string;
}

/** A file's stamp now, as Stamped holds it. */
function stampNow(abs: string): string | null {
  const st = statBigSync(abs);
  return st?.isFile() ? stampKeyOf(st) : null;
}

export class LinkCache {
  constructor(
    private readonly store: TieredStore,
    private readonly stats: CacheStats,
    private readonly env: NodeJS.ProcessEnv = process.env,
    /** Store after answering (the caller's flush() waits for it), as the compile cache
     *  does; without, a link returns once its result is stored. */
    private readonly background?: BackgroundStores,
    /** The compile cache's directory check (cache-guard.ts): a refused directory is neither read nor written. */
    private readonly guard?: Pick<CacheGuard, 'usableNow' | 'storeFailed'>,
    /** The local tier's content files (stored-objects.ts), shared with the compile
     *  results: outputs are kept and restored as objects are. Without, whole blobs. */
    private readonly objects?: StoredObjects,
    /** A local entry found damaged and removed: counted and logged by the caller. */
    private readonly onCorrupt?: (key: string, why: string) => void,
  ) {}

  /** Restores the output from the cache, or runs `run` (which must write job.output) and stores it. */
  async link(job: LinkJob, tool: ToolIdentity, run: () => Promise<LinkRunResult>): Promise<LinkOutcome> {
    const t0 = performance.now();
    const ms = () => Math.round(performance.now() - t0);
    if (this.guard && !this.guard.usableNow()) {
      const r = await run();
      return { cached: false, exit_code: r.exit_code, stderr: r.stderr, duration_ms: ms() };
    }
    const plain = async (reason: string): Promise<LinkOutcome> => {
      this.stats.uncacheable(`link: ${reason}`);
      const r = await run();
      return { cached: false, exit_code: r.exit_code, stderr: r.stderr, duration_ms: ms(), uncacheable_reason: reason };
    };

    for (const a of job.args) {
      if (a.startsWith('@')) return plain('response file');
      if (!a.startsWith('-')) continue; // a file (20,000 objects): no option to look into
      const parts = a.startsWith('-Wl,') ? a.slice(4).split(',') : [a];
      if (parts.some((p) => WRITES_EXTRA.test(p))) return plain(`writes extra files (${a})`);
    }
    if (!job.args.includes(job.output) && !job.args.includes(`-o${job.output}`)) {
      return plain(`output ${job.output} not among the arguments`);
    }

    // The stamps of what the key hashes, taken before the linker starts (or known from
    // before it: LinkJob.known): a file that moves between them and the end of the link
    // keeps the result out of the cache, so the contents may be read after the linker
    // started (see keyOf).
    const named = [...new Set([...job.inputs, ...namedFiles(job.args, job.output), ...libraryCandidates(job.args)])];
    const inputs = new Set(job.inputs);
    const outAbs = resolve(job.cwd, job.output);
    const stamps: Stamped[] = [];
    const at = resolverFrom(job.cwd);
    const { known, writtenNow } = job;
    // Inputs from before this build, asked of `known` once the linker has started: their
    // places in `stamps` (the key hashes the files in this order) are kept for them.
    const later: number[] = [];
    for (const f of named) {
      if (job.freshInputs && known && writtenNow && inputs.has(f) && !writtenNow.has(f)) {
        later.push(stamps.push({ f, abs: '', stamp: null }) - 1);
        continue;
      }
      const abs = at(f);
      if (abs === outAbs) continue;
      const k = job.freshInputs && inputs.has(f) ? known?.(abs) : undefined;
      stamps.push(k ? { f, abs, stamp: k.stamp, hash: k.hash } : { f, abs, stamp: stampNow(abs) });
    }
    // (A place kept for a later input has no path yet: it is looked at once the linker runs.)
    const unreadable = stamps.find((s) => s.stamp === null && s.abs !== '' && inputs.has(s.f));
    if (unreadable) return plain(`input ${unreadable.f} cannot be read`);
    const keyOf = () => this.keyOf(job, tool, stamps, inputs);
    const mode = job.kind === 'static' ? 0o644 : 0o755;

    // Inputs fresh from a compile: a stored link of them is unlikely, so the linker starts
    // at once and the key, needed only to store its output, is made while it runs.
    let key: string | null;
    let r: LinkRunResult;
    let existedBefore: boolean;
    /** An input came with no stamp from before the link: nothing vouches for its bytes. */
    let unvouched = false;
    if (job.freshInputs) {
      existedBefore = statBigSync(outAbs) !== null;
      const linking = run();
      // In the same turn as the start: nothing can have changed what `known` holds since.
      for (const i of later) {
        const { f } = stamps[i]!;
        const abs = at(f);
        const k = known!(abs);
        if (!k) unvouched = true;
        stamps[i] = k ? { f, abs, stamp: k.stamp, hash: k.hash } : { f, abs, stamp: stampNow(abs) };
      }
      [r, key] = await Promise.all([linking, unvouched ? null : keyOf()]);
    } else {
      key = await keyOf();
      const hit = key === null ? null : await this.restore(key, outAbs, mode);
      if (hit !== null) {
        this.stats.link(true);
        return { cached: true, exit_code: 0, stderr: hit.stderr, duration_ms: ms(), ...(hit.restored ? { restored: hit.restored } : {}) };
      }
      existedBefore = statBigSync(outAbs) !== null;
      r = await run();
    }
    this.stats.link(false);
    if (r.exit_code !== 0) return { cached: false, exit_code: r.exit_code, stderr: r.stderr, duration_ms: ms() };
    let written: RestoredOutput | undefined;
    try {
      // `ar r` adds to an archive that is already there: the result depends on it.
      if (job.kind === 'static' && existedBefore) {
        this.stats.notStored('archive updated in place');
      } else if (unvouched) {
        this.stats.notStored('input not stamped before the link');
      } else if (key === null || this.inputsMoved(stamps)) {
        // Asked before the answer: once it is out, the user may rm -rf the build, and a
        // link stored after its answer must still be a hit then.
        this.stats.notStored('changed during link');
      } else {
        // Read now: the caller renames the output once this returns. Its hash goes back
        // with it, so the caller's record need not read it again.
        const st = statBigSync(outAbs);
        const output = await readFile(outAbs);
        const sha256 = sha256Hex(output);
        if (st && st.size === BigInt(output.length)) written = { sha256, stamp: contentStampKeyOf(st) };
        if (output.length > 0) {
          const k = key;
          const put = () =>
            this.save(k, r.stderr, output, sha256).catch((e: unknown) => {
              if (this.guard?.storeFailed(e)) this.stats.notStored('cache not writable');
              else this.stats.error();
            });
          if (this.background) await this.background.run(pendingKey(k), put);
          else await put();
        }
      }
    } catch {
      this.stats.error();
    }
    return { cached: false, exit_code: 0, stderr: r.stderr, duration_ms: ms(), ...(written ? { restored: written } : {}) };
  }

  /** The key of a link: the command with the output taken out, the tool, the environment
   *  and the content of every stamped file (read now, after its stamp). Null when a file
   *  stamped as one is gone or unreadable now: it moved, and the result is not stored. */
  private async keyOf(job: LinkJob, tool: ToolIdentity, stamps: readonly Stamped[], inputs: ReadonlySet<string>): Promise<string | null> {
    const h = new KeyHasher()
      .field('version', CACHE_FORMAT_VERSION)
      .field('mode', 'link')
      .field('kind', job.kind)
      .field('tool', tool.id)
      .field('ld', job.kind === 'static' ? '' : await driverLinkerStamp(tool.path))
      .list('args', job.args.map((a) => (a === job.output ? '<output>' : a === `-o${job.output}` ? '-o<output>' : a)));
    for (const name of LINK_ENV) h.field(`env.${name}`, this.env[name] ?? '\0unset');
    const hashOf = job.hashOf;
    let hashes: (string | null)[];
    try {
      hashes = await Promise.all(
        stamps.map(({ f, abs, stamp, hash }) =>
          stamp === null ? null : hash !== undefined ? hash : hashOf && inputs.has(f) ? hashOf(f) : readFile(abs).then(sha256Hex),
        ),
      );
    } catch {
      return null;
    }
    for (const [i, { f, stamp }] of stamps.entries()) {
      const hash = hashes[i] ?? null;
      if (stamp !== null && hash === null) return null;
      h.field(`file:${f}`, hash ?? '\0absent');
    }
    return h.digest();
  }

  /** Puts the stored output of `key` at `outAbs` (the linker's temp name, renamed by the
   *  caller); null on a miss. An entry found damaged or gone is removed: a miss and a
   *  relink, never a wrong output. */
  private async restore(key: string, outAbs: string, mode: number): Promise<{ stderr: string; restored?: RestoredOutput } | null> {
    // A link stored after its answer (rm -rf build right after a build) is still a hit.
    await this.background?.pending(pendingKey(key));
    const data = await this.store.get('link', key);
    if (!data) return null;
    let r: LoadedLink;
    try {
      r = decodeLink(data);
    } catch (e) {
      if (!(e instanceof CorruptEntryError)) throw e;
      await this.store.discard('link', key, e.message);
      return null;
    }
    if (!r.outputRef) {
      const bytes = r.output;
      writeOutput(outAbs, mode, (to) => writeFileSync(to, bytes));
      // A v1 blob in the local tier (an older cache, a remote hit's copy): rewritten in
      // the local form once, so its next hits are copies. Its bytes passed the blob's check.
      if (this.objects) {
        const work = () => this.saveLocal(key, r.stderr, bytes).catch(() => undefined);
        if (this.background?.enabled) void this.background.later(work);
        else this.stats.track(work());
      }
      return { stderr: r.stderr };
    }
    const objects = this.objects;
    // A v2 header without the local form's objects (a LinkCache made without them): a miss.
    if (!objects) return null;
    const w = objects.writer(r.outputRef);
    if ('missing' in w || 'corrupt' in w) {
      await objects.drop('link', key);
      if ('corrupt' in w) this.onCorrupt?.(key, w.corrupt);
      return null;
    }
    try {
      writeOutput(outAbs, mode, w.write);
    } catch (e) {
      if (!(e instanceof ObjectGoneError)) throw e;
      // The content file went (evicted, cleared) between its check and the copy.
      objects.gone(w.path);
      await objects.drop('link', key);
      return null;
    }
    const st = statBigSync(outAbs);
    return { stderr: r.stderr, ...(st ? { restored: { sha256: r.sha256, stamp: contentStampKeyOf(st) } } : {}) };
  }

  /** Stores a link's output: header and output apart in the local tier, a v1 blob in the
   *  others (all of them, without the local form). */
  private async save(key: string, stderr: string, output: Buffer, sha256?: string): Promise<void> {
    if (!this.objects) return this.store.put('link', key, encodeLink(stderr, output));
    if (this.store.writableBeyondFirst) this.store.putBeyondFirst('link', key, encodeLink(stderr, output));
    await this.saveLocal(key, stderr, output, sha256);
  }

  /** The content file is checked as it is stored: a link of fresh inputs skips the
   *  look-up that would have found a damaged one (and removed it) before the store. */
  private async saveLocal(key: string, stderr: string, output: Buffer, known?: string): Promise<void> {
    const sha256 = known ?? sha256Hex(output);
    await this.objects!.save('link', key, output, (ref) => encodeLinkHeader(stderr, ref, sha256), (why) => this.onCorrupt?.(key, why));
  }

  private inputsMoved(stamps: readonly Stamped[]): boolean {
    return stamps.some((s) => stampNow(s.abs) !== s.stamp);
  }
}

/** Writes `path` through `write` (which creates or truncates it), creating its directory,
 *  with `mode` whatever the umask, as the linker would leave it; a failed write leaves
 *  no partial file. ObjectGoneError: what `write` copies from is gone. */
function writeOutput(path: string, mode: number, write: (to: string) => void): void {
  try {
    creatingDir(path, write);
    chmodSync(path, mode);
  } catch (e) {
    rmSync(path, { force: true });
    throw e;
  }
}
