// What the service watches and how it names it. One place decides "is this path
// ours", so the watchers' filters, our own tree walks and event filtering can never
// disagree about a file (a file one of them skips and another indexes would be
// reported as changing forever).

import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { matchGlob } from '../../config/glob.js';
import { COMPILE_COMMANDS_FILE } from '../../config/project-root.js';

/** Sync cookies (see sync.ts). Never content: no journal entry, no index entry. */
export const COOKIE_PREFIX = '.replibuild-cookie-';

/** Keys of the files setup reloads from; their changes are announced separately. */
export const CONFIG_FILE_KEYS: readonly string[] = ['replibuild.toml', '.replibuild/daemon_config.toml'];

const SKIPPED_NAMES = new Set(['.git', 'node_modules']);
const DOT_DIR = '.replibuild';
const DAEMON_CONFIG = '.replibuild/daemon_config.toml';

export interface ScopeOptions {
  /** Absolute project root. */
  root: string;
  /** More roots (include dirs), absolute or relative to root. */
  extraRoots?: readonly string[];
  /** ignored_patterns of the daemon config (gitignore-like, see config/glob.ts). */
  ignored?: readonly string[];
  /** Build dir, relative to root or absolute; default "build". */
  buildDir?: string;
}

export class WatchScope {
  readonly root: string;
  /** The project root first, then the outside roots; none nested in another. */
  readonly roots: readonly string[];
  /** Extra roots that were not kept (inside the project or another root, or around the project). */
  readonly droppedRoots: readonly string[];
  private readonly buildAbs: string | null;
  private readonly buildDir: string;
  private readonly patterns: readonly string[];
  /** Real paths of the roots: a symlink to one of them, or to a dir around one, is not followed. */
  private readonly realRoots: readonly string[];

  constructor(opts: ScopeOptions) {
    this.root = resolve(opts.root);
    const kept: string[] = [this.root];
    const dropped: string[] = [];
    const extras = [...new Set((opts.extraRoots ?? []).map((r) => resolve(this.root, r)))]
      // Shortest first, so a root is compared with every root that could contain it.
      .sort((a, b) => a.length - b.length);
    const realRoot = realOrSelf(this.root);
    const realKept = [realRoot];
    for (const r of extras) {
      // A root around the project would watch its parent tree; its headers fall back to stat+hash
      // (the orchestrator checks whatever no root covers). The same for a symlink to such a dir.
      const real = realOrSelf(r);
      const around = isWithin(this.root, r) || isWithin(realRoot, real);
      if (around || kept.some((k) => isWithin(r, k)) || realKept.some((k) => isWithin(real, k))) dropped.push(r);
      else {
        kept.push(r);
        realKept.push(real);
      }
    }
    this.roots = kept;
    this.droppedRoots = dropped;
    this.realRoots = realKept;
    const b = opts.buildDir ?? 'build';
    this.buildDir = b;
    const bAbs = resolve(this.root, b);
    this.buildAbs = bAbs === this.root || b.trim() === '' ? null : bAbs;
    for (const p of opts.ignored ?? []) matchGlob(p, 'probe'); // throws GlobSyntaxError now, not per event
    this.patterns = [...(opts.ignored ?? [])];
  }

  /** What decides this scope, for a caller that must judge paths as this scope does
   *  (the orchestrator, from a changes answer): a scope built from it is the same. */
  describe(): { roots: string[]; ignored: string[]; build_dir: string } {
    return { roots: [...this.roots], ignored: [...this.patterns], build_dir: this.buildDir };
  }

  /** Whether a directory whose real path is `real` holds a root (or is one): following a
   *  symlink to it would watch that root again, or a whole parent tree ("lnk -> .."). */
  aliasesRoot(real: string): boolean {
    return this.realRoots.some((r) => isWithin(r, real));
  }

  /** aliasesRoot for a path that may be a symlink; false for anything else. */
  isRootAliasLink(abs: string): boolean {
    if (this.roots.includes(abs)) return false; // a root reached through a symlink is still the root
    try {
      if (!lstatSync(abs).isSymbolicLink()) return false;
      return this.aliasesRoot(realpathSync.native(abs));
    } catch {
      return false;
    }
  }

  /** Index key of an absolute path: root-relative with '/', or absolute outside the project. */
  toKey(abs: string): string {
    const rel = relative(this.root, abs);
    if (rel === '') return '';
    if (rel === '..' || rel.startsWith('..' + sep) || isAbsolute(rel)) return abs;
    return sep === '/' ? rel : rel.split(sep).join('/');
  }

  /** Absolute path of a key, or of any path a caller gives (relative = to the project root). */
  toAbs(path: string): string {
    return resolve(this.root, path);
  }

  rootOf(abs: string): string | null {
    // Outside roots are never nested in the project root, so the order does not matter.
    for (const r of this.roots) if (isWithin(abs, r)) return r;
    return null;
  }

  /** Watched = under a root and not ignored: such a file's hash comes from the index. */
  isWatched(abs: string): boolean {
    return !this.isIgnored(abs);
  }

  /** True for anything the service must not index, ancestors included; outside every root → true. */
  isIgnored(abs: string): boolean {
    const r = this.rootOf(abs);
    if (r === null) return true;
    if (abs.length === r.length) return false;
    const rel = toSlash(relative(r, abs));
    const segs = rel.split('/');
    for (let i = 1; i <= segs.length; i++) {
      if (this.ignoredRel(r, segs.slice(0, i).join('/'), segs[i - 1]!)) return true;
    }
    return false;
  }

  /** The check for one entry whose parent directory is already known not to be ignored. */
  isIgnoredEntry(parentAbs: string, name: string): boolean {
    const abs = parentAbs + sep + name;
    const r = this.rootOf(abs);
    if (r === null) return true;
    return this.ignoredRel(r, toSlash(relative(r, abs)), name);
  }

  isCookieName(name: string): boolean {
    return name.startsWith(COOKIE_PREFIX);
  }

  private ignoredRel(root: string, rel: string, name: string): boolean {
    if (SKIPPED_NAMES.has(name) || name.startsWith(COOKIE_PREFIX)) return true;
    if (root === this.root) {
      // .replibuild holds pids, logs and our own state (written on every change we see);
      // only the daemon config in it is a user's file.
      if (rel.startsWith(DOT_DIR + '/')) return rel !== DAEMON_CONFIG;
      // Our own output (and its temps while it is written): no source reads it, and
      // seeing it change would make the build after each write a full plan.
      if (rel === COMPILE_COMMANDS_FILE || rel.startsWith(COMPILE_COMMANDS_FILE + '.tmp-')) return true;
    }
    if (this.buildAbs !== null) {
      const abs = resolve(root, rel);
      if (isWithin(abs, this.buildAbs)) return true;
    }
    for (const p of this.patterns) if (matchGlob(p, rel)) return true;
    return false;
  }
}

function realOrSelf(p: string): string {
  try {
    return realpathSync.native(p);
  } catch {
    return p;
  }
}

export function isWithin(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function toSlash(p: string): string {
  return sep === '/' ? p : p.split(sep).join('/');
}
