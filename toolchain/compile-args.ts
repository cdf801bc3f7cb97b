// Command lines of a build: one compile job per translation unit and one link
// command per target. Every path is relative to the project root (the compiler
// and linker run there), so diagnostics come out relative and VSCode resolves them.

import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { CompileJob } from '../protocol/build.js';
import type { ProjectConfig, ResolvedTarget, TargetKind } from '../config/types.js';
import { sourceLanguage } from '../config/source-language.js';

/** sha256 hex of a JSON-able value; used for command hashes. */
export function hashJson(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** A source path made safe to nest under an object dir: "../x.cpp" and "/abs/x.cpp"
 *  must not escape it, and must not collide with a real "x.cpp". */
function nestedPath(source: string): string {
  const norm = posix.normalize(source.replace(/\\/g, '/'));
  const abs = norm.startsWith('/');
  const parts = norm.split('/').filter((p) => p !== '' && p !== '.').map((p) => (p === '..' ? '__' : p));
  return (abs ? ['_abs', ...parts] : parts).join('/');
}

/** Object paths by target (the config's own objects, so a new config starts afresh):
 *  a build of a big project asks for every TU's object several times (plan, link,
 *  journal point), and each answer normalizes and splits a path. */
const objectPaths = new WeakMap<object, { dir: string; paths: Map<string, string> }>();

/** `<obj_dir>/<source path>.o`: keeping the source's path apart src/a/x.cpp from src/b/x.cpp.
 *  `remember` false: worked out without adding it to the memo (a caller that asks once
 *  per TU and build, where the memo would be 2.4 MB at 20,000 TUs for little). */
export function objectPathFor(target: Pick<ResolvedTarget, 'obj_dir'>, source: string, remember = true): string {
  let memo = objectPaths.get(target);
  if (memo?.dir !== target.obj_dir) {
    if (!remember) return posix.join(target.obj_dir, `${nestedPath(source)}.o`);
    objectPaths.set(target, (memo = { dir: target.obj_dir, paths: new Map() }));
  }
  let object = memo.paths.get(source);
  if (object === undefined) {
    object = posix.join(target.obj_dir, `${nestedPath(source)}.o`);
    if (remember) memo.paths.set(source, object);
  }
  return object;
}

export function depfilePathFor(object: string): string {
  return object.replace(/\.o$/, '') + '.d';
}

/** Shared libraries need PIC; so does a static library that a shared one links,
 *  or the link fails with "recompile with -fPIC". */
export function needsPic(config: ProjectConfig, target: ResolvedTarget): boolean {
  if (target.kind === 'shared') return true;
  if (target.kind !== 'static') return false;
  return config.targets.some((t) => t.kind === 'shared' && t.link_deps.includes(target.name));
}

/**
 * What makes an object independent of where the checkout lies, so a checkout at
 * another path (a colleague's, CI's) hits the same cache entry, -g included: the
 * root becomes "." in the debug info (DW_AT_comp_dir, absolute paths under the
 * root) and in `__FILE__`. Two maps rather than -ffile-prefix-map: that one also
 * rewrites profile and coverage paths, which no build of ours asks for. First on
 * the line, so a map of the user's own (gcc and clang apply the last one given
 * that matches) still wins. A root with "=" in it cannot be written as OLD=NEW
 * (the compiler splits at the first "="), so it gets no map: correct, only keyed
 * on the path.
 */
export function pathIndependenceArgs(root: string): string[] {
  if (root.includes('=') || !root.startsWith('/')) return [];
  return [`-fdebug-prefix-map=${root}=.`, `-fmacro-prefix-map=${root}=.`];
}

/** The compiler command that compiles `source`: [compiler] cc for C, cxx for C++. */
export function compilerFor(config: ProjectConfig, source: string): string {
  return sourceLanguage(source) === 'c' ? config.compiler.cc : config.compiler.cxx;
}

/** The identities (or ids) a build compiles with: the C++ compiler's, which also links,
 *  and the C compiler's when the build has C sources. */
export interface BuildCompilers<T> {
  cxx: T;
  cc?: T;
}

/** Whichever of `compilers` compiles `source`. A C source without a C compiler is a
 *  caller's mistake (it asks for one whenever its targets have C sources). */
export function compilerOf<T>(compilers: BuildCompilers<T>, source: string): T {
  if (sourceLanguage(source) !== 'c') return compilers.cxx;
  if (compilers.cc === undefined) throw new Error(`internal error: no C compiler identity for the C source ${source}`);
  return compilers.cc;
}

/** Whether any of `targets` has a C source: only then is the C compiler needed. */
export function hasCSources(targets: readonly Pick<ResolvedTarget, 'sources'>[]): boolean {
  return targets.some((t) => {
    let c = hasC.get(t.sources);
    if (c === undefined) hasC.set(t.sources, (c = t.sources.some((s) => sourceLanguage(s) === 'c')));
    return c;
  });
}

/** hasCSources by source list: asked on every build, a no-op's included, of lists that stay
 *  the same objects while the config does (20,000 extname()s, some 3 ms, per no-op). */
const hasC = new WeakMap<readonly string[], boolean>();

/** Compiler arguments for one TU, without output or depfile options (the runner adds those).
 *  A C source gets the C standard and c_flags; a C++ one the C++ standard and flags. */
export function compileArgs(config: ProjectConfig, target: ResolvedTarget, source: string): string[] {
  const args: string[] = [];
  const c = sourceLanguage(source) === 'c';
  const std = c ? target.c_std : target.std;
  if (std) args.push(`-std=${std}`);
  args.push(...pathIndependenceArgs(config.root));
  args.push(...(c ? target.c_flags : target.flags));
  if (needsPic(config, target)) args.push('-fPIC');
  for (const dir of target.include_dirs) args.push(`-I${dir}`);
  for (const def of target.defines) args.push(`-D${def}`);
  args.push('-c', source);
  return args;
}

export function compileJobFor(
  config: ProjectConfig,
  target: ResolvedTarget,
  source: string,
  opts: { build_id?: string; rememberObjectPath?: boolean } = {},
): CompileJob {
  const object = objectPathFor(target, source, opts.rememberObjectPath ?? true);
  const job: CompileJob = {
    cwd: config.root,
    compiler: compilerFor(config, source),
    args: compileArgs(config, target, source),
    source,
    object,
    depfile: depfilePathFor(object),
  };
  if (opts.build_id !== undefined) job.build_id = opts.build_id;
  return job;
}

/** What decides whether an object is up to date with its command: compiler,
 *  where it runs (it reaches the object through -g) and the arguments. */
export function compileCommandHash(job: CompileJob, compilerId: string): string {
  return hashJson(['compile', compilerId, job.cwd, job.args, job.object]);
}

export interface LinkCommand {
  target: string;
  kind: TargetKind;
  /** The program: the C++ compiler driver (C objects too: a target mixing C and C++
   *  needs libstdc++, and a pure-C one links the same with it), or `ar` for static libraries. */
  tool: 'cxx' | 'ar';
  /** Arguments, with `outputArg` where the output goes. */
  args: string[];
  /** What the link reads: the target's objects, then its link deps' outputs. */
  objects: string[];
  dep_outputs: string[];
}

function libArg(lib: string): string {
  // Let a path to a library file or a ready-made flag through as written.
  return lib.startsWith('-') || lib.includes('/') || /\.(a|so)(\.\d+)*$/.test(lib) ? lib : `-l${lib}`;
}

/** The objects of a target, in source order, without duplicates. */
export function targetObjects(target: ResolvedTarget): string[] {
  return [...new Set(target.sources.map((s) => objectPathFor(target, s)))];
}

/** The link (or archive) command writing `outputArg` (a temp name beside the output when run). */
export function linkCommandFor(config: ProjectConfig, target: ResolvedTarget, outputArg: string): LinkCommand {
  const objects = targetObjects(target);
  const byName = new Map(config.targets.map((t) => [t.name, t]));
  const dep_outputs =
    target.kind === 'static'
      ? []
      : target.link_deps.map((d) => byName.get(d)?.output).filter((o): o is string => o !== undefined);
  if (target.kind === 'static') {
    return { target: target.name, kind: target.kind, tool: 'ar', args: ['rcs', outputArg, ...objects], objects, dep_outputs };
  }
  const args: string[] = [];
  if (target.kind === 'shared') {
    args.push('-shared');
    // Without a soname, a program linked against build/lib/libx.so records that
    // relative path and only runs from the project root; with it, rpath works.
    if (process.platform !== 'darwin') args.push(`-Wl,-soname,${posix.basename(target.output)}`);
  }
  // A static library's own libs are linked by whoever links it (an archive records
  // none); a shared library brought its libs with it. Each -l goes after the last
  // archive that may need it, so the last mention wins.
  const staticDepLibs = target.link_deps.flatMap((d) => {
    const dep = byName.get(d);
    return dep?.kind === 'static' ? dep.libs : [];
  });
  const libs = [...target.libs, ...staticDepLibs].filter((l, i, all) => all.lastIndexOf(l) === i);
  args.push(...objects, ...dep_outputs, ...target.link_flags, ...libs.map(libArg), '-o', outputArg);
  return { target: target.name, kind: target.kind, tool: 'cxx', args, objects, dep_outputs };
}

/** Link command hash: the command with the final output name, and the compiler's
 *  identity when it is the linker (an ar upgrade does not change archives' meaning). */
export function linkCommandHash(config: ProjectConfig, target: ResolvedTarget, compilerId: string): string {
  const cmd = linkCommandFor(config, target, target.output);
  return hashJson(['link', cmd.tool === 'cxx' ? compilerId : 'ar', config.root, cmd.args]);
}

// The include-search reading of a command line is shared with the compile cache.
export { includeSearchArgs, type IncludeSearchArgs } from './compiler-search.js';
