// Where a compiler looks for headers: the one place that knows it, for the compile
// cache (its direct-mode manifests must name every directory a new header could
// appear in, see cache/manifest.ts) and for the orchestrator's planner (new headers
// that shadow included ones, see orchestrator/include-search.ts).
//
// Both need the same three things: which arguments move the search (the command
// line's own -I family, and the rest that moves the compiler's built-in dirs), the
// compiler's built-in list from `-v`, and a way not to run that probe per TU. The
// probe is `<cxx> <probe args> -E -x <lang> -v /dev/null`: one run per compiler
// identity, probe arguments, language, working directory and include environment,
// per process (and per project, when the caller keeps answers in its state).

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';

export interface SearchList {
  /** The directories the compiler searches, as -v lists them, trailing slashes removed. */
  dirs: string[];
  /** Directories it would search but skipped as nonexistent. */
  missing: string[];
}

function stripTrailingSlashes(p: string): string {
  let s = p;
  while (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  return s;
}

/** Reads the include search list from `-v` output (stderr). Needs C messages. */
export function parseSearchList(stderr: string): SearchList {
  const dirs: string[] = [];
  const missing: string[] = [];
  let inList = false;
  for (const line of stderr.split('\n')) {
    const miss = /^ignoring nonexistent directory "(.*)"$/.exec(line);
    if (miss) {
      missing.push(stripTrailingSlashes(miss[1]!));
      continue;
    }
    if (/^#include (".*"|<\.\.\.>) search starts here:$/.test(line)) {
      inList = true;
      continue;
    }
    if (line.startsWith('End of search list.')) {
      inList = false;
      continue;
    }
    if (inList && line.startsWith(' ')) {
      dirs.push(stripTrailingSlashes(line.trim().replace(/ \(framework directory\)$/, '')));
    }
  }
  return { dirs, missing };
}

/** The environment of a -v run: the compile's own, with messages in English so
 *  that -v can be parsed. Only LC_MESSAGES changes; the character type stays. */
export function preprocessEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...env };
  const ctype = env.LC_ALL || env.LC_CTYPE || env.LANG;
  delete e.LC_ALL;
  delete e.LANGUAGE;
  if (ctype) e.LC_CTYPE = ctype;
  e.LC_MESSAGES = 'C';
  return e;
}

// ------------------------------------------------------------ arguments

/** The include search a compile command line sets up, as far as the command line says. */
export interface IncludeSearchArgs {
  /** Directories in command-line order per option, as given, trailing slashes removed. */
  iquote: string[];
  /** -I. */
  bracket: string[];
  isystem: string[];
  idirafter: string[];
  /** -include or -imacros: such files are looked up from the working directory first. */
  forcedIncludes: boolean;
  /** The rest that may move the compiler's own search directories (--sysroot, -nostdinc,
   *  -stdlib=, -m32, --target, ...): what the `-v` probe of its system dirs is run with.
   *  Leaves out the source, outputs, depfile options, -D/-U, -W, -O and -g, which do not. */
  probeArgs: string[];
}

/** Options whose value may be the next argument, and that the probe keeps. */
const PROBE_WITH_VALUE = new Set([
  '-isysroot', '--sysroot', '-target', '--target', '-iprefix', '-iwithprefix', '-iwithprefixbefore',
  '-imultilib', '-imultiarch', '-Xpreprocessor', '-B', '-specs', '--specs', '-arch', '-iframework',
]);
/** Options whose value may be the next argument, and that the probe leaves out. */
const DROP_WITH_VALUE = new Set(['-o', '-x', '-D', '-U', '-MF', '-MT', '-MQ', '-include', '-imacros', '-include-pch']);
const DROP_FLAGS = new Set(['-c', '-M', '-MM', '-MD', '-MMD', '-MP', '-MG', '-E', '-S', '-v', '-H', '-I-']);

/** Reads the include directories and the probe-relevant rest out of compile arguments. */
export function includeSearchArgs(args: readonly string[], source?: string): IncludeSearchArgs {
  const out: IncludeSearchArgs = { iquote: [], bracket: [], isystem: [], idirafter: [], forcedIncludes: false, probeArgs: [] };
  const dirOpts: [string, string[]][] = [
    ['-idirafter', out.idirafter],
    ['-isystem', out.isystem],
    ['-iquote', out.iquote],
    ['-I', out.bracket],
  ];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === source || DROP_FLAGS.has(a)) continue;
    const dir = dirOpts.find(([opt]) => a.startsWith(opt) && a !== '-I-');
    if (dir) {
      const [opt, list] = dir;
      const value = a.length > opt.length ? a.slice(opt.length) : args[++i];
      if (value !== undefined) list.push(stripTrailingSlashes(value));
      continue;
    }
    if (a.startsWith('--include-directory=')) {
      out.bracket.push(stripTrailingSlashes(a.slice('--include-directory='.length)));
      continue;
    }
    if (a === '-include' || a === '-imacros' || a.startsWith('-include') || a.startsWith('-imacros')) out.forcedIncludes = true;
    if (DROP_WITH_VALUE.has(a)) {
      i++;
      continue;
    }
    if (/^-(o|x|D|U|MF|MT|MQ|include|imacros)./.test(a) || /^-(W|O|g)/.test(a)) continue;
    out.probeArgs.push(a);
    if (PROBE_WITH_VALUE.has(a) && i + 1 < args.length) out.probeArgs.push(args[++i]!);
  }
  return out;
}

// ------------------------------------------------------------ the compiler's own dirs

export interface CompilerSearch extends SearchList {
  /** The probe did not run or its output could not be read: the lists are empty, and a
   *  caller that must not miss a directory (the compile cache) cannot use them. */
  failed?: true;
  /** The probe failed with the probe arguments and these are the compiler's dirs without
   *  them: good enough for the planner, not for the cache (--sysroot moves every dir). */
  withoutArgs?: true;
}

/** Where probe results are kept across processes (the orchestrator's build state). */
export interface CompilerSearchStore {
  getCompilerSearch(key: string): { compiler_id: string; dirs: string[]; missing: string[] } | undefined;
  setCompilerSearch(key: string, rec: { compiler_id: string; dirs: string[]; missing: string[] }): void;
}

/** Environment variables that add to, or move, the compiler's own include directories. */
const SEARCH_ENV = ['CPATH', 'CPLUS_INCLUDE_PATH', 'C_INCLUDE_PATH', 'GCC_EXEC_PREFIX', 'COMPILER_PATH', 'SDKROOT'] as const;

const probes = new Map<string, Promise<CompilerSearch>>();

function runProbe(compiler: string, args: readonly string[], language: string, cwd: string, env: NodeJS.ProcessEnv): Promise<SearchList | null> {
  return new Promise((res) => {
    execFile(
      compiler,
      [...args, '-E', '-x', language, '-v', '/dev/null'],
      { cwd, env: preprocessEnv(env), timeout: 30_000, maxBuffer: 4 * 1024 * 1024 },
      (err, _stdout, stderr) => {
        if (err) return res(null);
        const list = parseSearchList(String(stderr));
        // No list at all means a -v we cannot read (another compiler, another language).
        res(list.dirs.length > 0 ? list : null);
      },
    );
  });
}

export interface CompilerSearchOptions {
  /** Keeps answers across processes. */
  store?: CompilerSearchStore;
  /** The compile's environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** The language the probe runs as (default c++). */
  language?: 'c' | 'c++';
}

/** The compiler's own search directories under `probeArgs` (see the top of this file). */
export async function compilerSearch(
  compiler: { id: string; path: string },
  probeArgs: readonly string[],
  cwd: string,
  opts: CompilerSearchOptions = {},
): Promise<CompilerSearch> {
  const env = opts.env ?? process.env;
  const language = opts.language ?? 'c++';
  const envKey = SEARCH_ENV.map((k) => env[k] ?? null);
  const key = createHash('sha256')
    .update(JSON.stringify([compiler.id, compiler.path, probeArgs, language, cwd, envKey]))
    .digest('hex')
    .slice(0, 20);
  const kept = opts.store?.getCompilerSearch(key);
  // Only full answers are kept (below), so a kept one is one the cache may use too.
  if (kept && kept.compiler_id === compiler.id) return { dirs: kept.dirs, missing: kept.missing };
  let p = probes.get(key);
  if (!p) {
    p = (async (): Promise<CompilerSearch> => {
      // Flags the probe cannot take alone (they want an input of their own, say) fall back to none.
      const list = await runProbe(compiler.path, probeArgs, language, cwd, env);
      if (list) return { dirs: list.dirs, missing: list.missing };
      const bare = probeArgs.length ? await runProbe(compiler.path, [], language, cwd, env) : null;
      return bare ? { dirs: bare.dirs, missing: bare.missing, withoutArgs: true } : { dirs: [], missing: [], failed: true };
    })();
    probes.set(key, p);
  }
  const r = await p;
  // A failed probe is not kept: the next process (and the next call here) tries again.
  if (r.failed) probes.delete(key);
  else if (!r.withoutArgs) opts.store?.setCompilerSearch(key, { compiler_id: compiler.id, dirs: r.dirs, missing: r.missing });
  return r;
}

/** For tests: forget the probes. */
export function clearCompilerSearchCache(): void {
  probes.clear();
}
