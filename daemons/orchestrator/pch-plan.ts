// Which precompiled headers a build makes, and which TUs compile with them.
//
// Per target and compile command (a target's C++ TUs share one, its C TUs another):
// read each TU's leading includes (pch-detect.ts), keep the longest run of them that
// may be precompiled (resolved in a compiler system dir, an -isystem dir or outside
// the project, and guarded), and choose the prefix the most TUs share
// (choosePrefix). The PCH is a generated header, build/.pch/<target>/<hash>.h, holding
// the prefix's #include lines, compiled with the TUs' exact command plus
// `-x c++-header` to <hash>.h.gch. Its users compile with `-include <hash>.h
// -Winvalid-pch`: gcc and clang both look for <hash>.h.gch beside a header named by
// -include (clang tries .pch then .gch), and both fall back to, or fail on, a PCH that
// does not fit (pch-fallback.ts). The TU's own #include lines of the prefix come after
// and are no-ops because every header in it is guarded: the reason for that rule.
//
// The hash names the command and the prefix (spelling and resolved file of each
// include), so a flag change or a header that now resolves elsewhere (shadowing) is a
// new PCH and new user commands; an edit inside the prefix's headers is the PCH's
// own record going stale (its depfile lists them), which the planner passes on to its users.

import { createHash } from 'node:crypto';
import { mkdirSync, statSync, utimesSync } from 'node:fs';
import { dirname, isAbsolute, posix, relative, resolve } from 'node:path';
import { cwdIndependentArgs } from '../../cache/keys.js';
import { SharedRecords } from '../../cache/shared-records.js';
import type { CompileJob } from '../../protocol/build.js';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import { sourceLanguage } from '../../config/source-language.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { isPlainRelative } from '../../fs/plain-path.js';
import { compileJobFor, compilerOf, includeSearchArgs, type BuildCompilers } from '../../toolchain/compile-args.js';
import { pchBuildJob, pchDirOf } from '../../toolchain/pch-jobs.js';
import { compilerSearch, type CompilerSearchStore } from '../../toolchain/compiler-search.js';
import { selectTargets } from './planner.js';
import { choosePrefix, isIncludeGuarded, leadingIncludes, startsWithPrefix, type LeadingInclude, type TuIncludes } from './pch-detect.js';
import { readTextOrNull, TextFacts } from './text-facts.js';

export interface PchNode {
  target: string;
  /** The generated header, relative to the root: <build_dir>/.pch/<target>/<hash>.h. */
  header: string;
  /** The precompiled file beside it. */
  gch: string;
  /** The header's text: the prefix's #include lines. */
  content: string;
  /** The compile that makes `gch`. */
  job: CompileJob;
  /** Sources of `target` that compile with it. */
  users: string[];
}

export interface PchLayout {
  nodes: PchNode[];
  /** The node `source` of `target` compiles with, if any. */
  nodeFor(target: string, source: string): PchNode | undefined;
}

/** A generated header's path for this command and prefix. */
function headerPathFor(config: ProjectConfig, target: string, argsKey: readonly string[], prefix: readonly string[]): string {
  // The root in the prefix-map options differs between checkouts: another name would
  // be another command, so a PCH from a team cache or another checkout would never hit.
  const hash = createHash('sha256').update(JSON.stringify([cwdIndependentArgs(argsKey, config.root), prefix])).digest('hex').slice(0, 16);
  return posix.join(pchDirOf(config, target), `${hash}.h`);
}

/** Include records repeated across sources (every TU's `<vector>`), and identical
 *  lists of them, kept once. */
const sharedIncludes = new SharedRecords();

/** Each source's leading #includes, by its stat: a build with no state plans every TU,
 *  and most sources are as they were at the last build. One memo per project root (a
 *  daemon has one; a test process may plan several), keyed by the source's path as the
 *  plan names it, which the plan holds anyway: 20,000 absolute copies were 1.2 MB. */
const leadingByRoot = new Map<string, TextFacts<LeadingInclude[]>>();
function leadingOf(root: string): TextFacts<LeadingInclude[]> {
  let f = leadingByRoot.get(root);
  if (!f) leadingByRoot.set(root, (f = new TextFacts<LeadingInclude[]>((text) => sharedIncludes.list(leadingIncludes(text)))));
  return f;
}
/** A source's key in leadingOf(root): its own path when it needs no normalizing. */
function leadingKey(root: string, source: string): string {
  return isPlainRelative(source) ? source : resolve(root, source);
}
/** Whether a header outside the project is guarded (pch-detect.ts), by its stat. */
const guarded = new TextFacts<boolean>(isIncludeGuarded);

/** Whether `source` (relative to `root`) still starts with the #include lines it had when
 *  a PCH plan last read it (in this process): then it still adds the same keys to that
 *  plan, all else equal. False when no plan read it. */
export function leadingIncludesUnchanged(root: string, source: string): boolean {
  const same = (was: LeadingInclude[], now: LeadingInclude[]) => was === now || JSON.stringify(was) === JSON.stringify(now);
  return leadingOf(root).unchanged(resolve(root, source), same, leadingKey(root, source));
}

function isFile(abs: string): boolean {
  return statSync(abs, { throwIfNoEntry: false })?.isFile() ?? false;
}

function within(dir: string, abs: string): boolean {
  const rel = relative(dir, abs);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export interface PchPlanInput {
  config: ProjectConfig;
  targets: readonly ResolvedTarget[];
  compilers: BuildCompilers<{ id: string; path: string }>;
  store?: CompilerSearchStore;
}

/**
 * The modification time every generated header is given (2000-01-01, in seconds).
 * clang records each input's mtime in a PCH and refuses the PCH when one differs, and
 * the header is written again in every fresh build dir: a .gch restored from the cache
 * after `rm -rf build` would be refused at the first real compile of a user (a correct
 * fallback, but the PCH lost until it changes). Its content is all that matters here,
 * and replibuild tracks that by hash; a rewrite still moves its ctime and inode, which
 * the stat stamps and the racy checks read.
 */
const GENERATED_MTIME_S = 946_684_800;

/** The PCHs for `targets` (see the top of this file); writes their generated headers. */
export async function planPchs(input: PchPlanInput): Promise<PchLayout> {
  const { config } = input;
  const root = config.root;
  const nodes: PchNode[] = [];
  const byUser = new Map<string, PchNode>();
  for (const t of input.targets) {
    if (t.pch !== 'auto') continue;
    // Sources grouped by their command without the source: only those share a PCH.
    const groups = new Map<string, { plain: CompileJob[]; argsKey: string[] }>();
    const seen = new Set<string>();
    for (const source of t.sources) {
      const plain = compileJobFor(config, t, source);
      if (seen.has(plain.object)) continue;
      seen.add(plain.object);
      const argsKey = plain.args.filter((a, i) => !(a === source && plain.args[i - 1] === '-c'));
      const key = JSON.stringify([plain.compiler, argsKey]);
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { plain: [], argsKey }));
      g.plain.push(plain);
    }
    for (const g of groups.values()) {
      if (g.plain.length < 2) continue;
      const first = g.plain[0]!;
      const search = includeSearchArgs(first.args, first.source);
      const sys = await compilerSearch(compilerOf(input.compilers, first.source), search.probeArgs, root, {
        language: sourceLanguage(first.source),
        ...(input.store ? { store: input.store } : {}),
      });
      if (sys.failed) continue;
      const systemDirs = [...search.isystem, ...sys.dirs].map((d) => resolve(root, d));
      const angledChain = [...search.bracket, ...search.isystem, ...sys.dirs, ...search.idirafter].map((d) => resolve(root, d));
      const quoteChain = [...search.iquote.map((d) => resolve(root, d)), ...angledChain];
      const eligible = new Map<string, boolean>();
      const tus: TuIncludes[] = [];
      for (const job of g.plain) {
        const includes = leadingOf(root).get(resolve(root, job.source), leadingKey(root, job.source));
        if (includes === null) continue;
        const keys: string[] = [];
        for (const inc of includes) {
          const chain = inc.angled ? angledChain : [dirname(resolve(root, job.source)), ...quoteChain];
          const found = chain.map((d) => resolve(d, inc.name)).find(isFile);
          if (found === undefined) break;
          let ok = eligible.get(found);
          if (ok === undefined) {
            // Rarely changes: a compiler or -isystem dir, or outside the project.
            const stable = systemDirs.some((d) => within(d, found)) || !within(root, found);
            eligible.set(found, (ok = stable && guarded.get(found) === true));
          }
          if (!ok) break;
          keys.push(`${inc.angled ? '<' : '"'}${inc.name}=${found}`);
        }
        tus.push({ source: job.source, keys });
      }
      const prefix = choosePrefix(tus);
      if (!prefix) continue;
      const header = headerPathFor(config, t.name, [first.compiler, ...g.argsKey], prefix);
      const content =
        '// Generated by replibuild: the include prefix its TUs share, precompiled to the file beside it.\n' +
        prefix
          .map((k) => {
            const [spelled, file] = [k.slice(0, k.indexOf('=')), k.slice(k.indexOf('=') + 1)];
            // Angled names resolve the same from here; a quoted one was found relative to its source.
            return spelled.startsWith('<') ? `#include ${spelled}>` : `#include "${file}"`;
          })
          .join('\n') +
        '\n';
      const users = tus.filter((u) => startsWithPrefix(u.keys, prefix)).map((u) => u.source);
      const node: PchNode = { target: t.name, header, gch: `${header}.gch`, content, job: pchBuildJob(first, header), users };
      nodes.push(node);
      for (const u of users) byUser.set(`${t.name}\n${u}`, node);
    }
  }
  for (const n of nodes) {
    const abs = resolve(root, n.header);
    if (readTextOrNull(abs) === n.content) continue;
    mkdirSync(dirname(abs), { recursive: true });
    writeFileAtomic(abs, n.content);
    utimesSync(abs, GENERATED_MTIME_S, GENERATED_MTIME_S);
  }
  return { nodes, nodeFor: (target, source) => byUser.get(`${target}\n${source}`) };
}

/** planPchs for the requested targets (and their deps); on any failure none, with why
 *  told to `warn`: only speed is lost, every TU compiles as written. */
export async function planPchsOrNone(
  input: Omit<PchPlanInput, 'targets'> & { targets: readonly string[] },
  warn: (text: string) => void,
): Promise<PchLayout | undefined> {
  let targets: ResolvedTarget[];
  try {
    targets = selectTargets(input.config, input.targets);
  } catch {
    return undefined; // an unknown target: the plan says so
  }
  try {
    return await planPchs({ ...input, targets });
  } catch (e) {
    warn(`replibuild: no precompiled headers this build: ${(e as Error).message}`);
    return undefined;
  }
}
