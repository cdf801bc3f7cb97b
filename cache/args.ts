// Which compiles may be cached, and which of their arguments make up the keys.
//
// The rule throughout: an option we do not know is a reason not to cache. A miss
// costs one compile; a wrong hit links a stale object into someone's program.
// So options are matched against the tables (arg-classes.ts), and anything unmatched
// makes the compile uncacheable with the option named in the reason.

import {
  ASSEMBLER_OK,
  ATTACHED_VALUE_PREFIXES,
  INCLUDE_DIR_OPTIONS,
  NOT_A_COMPILE,
  PLAIN_FLAGS,
  PREPROCESSOR_ONLY,
  PREPROCESSOR_ONLY_FLAGS,
  SEPARATE_VALUE,
  classifyF,
  checksumsInObject,
  columnsInObject,
  commentsAreBlind,
  debugLevelAfter,
  languageOf,
  no,
  stripTrailingSlashes,
  type Language,
  type Uncacheable,
} from './arg-classes.js';

export type { Language, Uncacheable, UncacheableReason } from './arg-classes.js';

export interface PrefixMap {
  from: string;
  to: string;
}

export interface CacheableArgs {
  cacheable: true;
  /** The source as it appears in the arguments (relative to cwd, normally). */
  source: string;
  language: Language;
  /** Direct-mode key arguments: every argument in order, separate-value forms joined
   *  ("-I x" → "-Ix"), the source, output and depfile options removed. */
  keyArgs: string[];
  /** Preprocessor-mode key arguments: keyArgs without the options whose whole effect
   *  shows in the preprocessed output (-I, -D, -include, ...). All of keyArgs when the
   *  object records them anyway (-g3 macro info, -frecord-gcc-switches). */
  nonPreprocessorArgs: string[];
  /** Arguments for the `-E` run: the original ones without -c, output and depfile options. */
  preprocessArgs: string[];
  /** Every include directory named on the command line (-I, -iquote, -isystem,
   *  -idirafter), as given, trailing slashes removed; whether it exists or not. */
  includeDirs: string[];
  /** -include or -imacros present: those files are looked up from the working directory. */
  forcedIncludes: boolean;
  /** Their names, as given (a precompiled header may stand in for one). */
  forcedIncludeNames: string[];
  /** -MMD: the depfile leaves system headers out, so it cannot list everything the
   *  compile read (the cache then learns the headers from -E). */
  depfileUserHeadersOnly: boolean;
  /** Comments may be hashed blind (comment-blind.ts): false where comments are not
   *  what that file's lexer takes them for (strict C90 has no //, -traditional-cpp
   *  pastes through them), or where the compiler reads them (-C/-CC, clang's
   *  documentation comments and MS comment pasting). */
  commentBlind: boolean;
  /** The object holds a checksum of every byte of the source and its headers (clang's
   *  DWARF 5 line tables): comments are not blind, and preprocessed output, which drops
   *  comments, cannot key a result (no preprocessor-mode lookup). */
  checksumsInObject: boolean;
  /** The object records tokens' columns (-g's line tables, sanitizers, OpenMP). -E output
   *  keeps a line's first column but not those after a comment inside a line, so it
   *  cannot key such a result either (no preprocessor-mode lookup). */
  columnsInObject: boolean;
  /** 0 = no debug info. */
  debugLevel: number;
  /** -fdebug-prefix-map / -ffile-prefix-map, in command-line order. */
  prefixMaps: PrefixMap[];
  /** -march=native and friends: the object depends on this machine's CPU. */
  hostDependent: boolean;
}

export type ArgsAnalysis = CacheableArgs | Uncacheable;


/**
 * Classifies a compile command line (the arguments only; `compiler` is the kind that runs
 * it, when known). `source`, when given, must be the one input file found (job.source).
 */
export function analyzeArgs(args: readonly string[], source?: string, compiler?: 'gcc' | 'clang'): ArgsAnalysis {
  const keyArgs: string[] = [];
  const ppOnlyIdx = new Set<number>(); // indexes into keyArgs
  const preprocessArgs: string[] = [];
  const includeDirs: string[] = [];
  const prefixMaps: PrefixMap[] = [];
  const inputs: { file: string; lang: Language | Uncacheable; preprocessIdx: number }[] = [];
  let sawC = false;
  let forcedIncludes = false;
  const forcedIncludeNames: string[] = [];
  let mmd = false;
  let debugLevel = 0;
  let hostDependent = false;
  let recordsSwitches = false;
  let x: string | null = null;

  const pushKey = (a: string, ppOnly = false) => {
    if (ppOnly) ppOnlyIdx.add(keyArgs.length);
    keyArgs.push(a);
  };

  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('@')) return no('response file', `${a} (its contents are not seen by the cache)`);
    if (a === '-') return no('source from stdin', '-');
    if (!a.startsWith('-')) {
      inputs.push({ file: a, lang: languageOf(a, x), preprocessIdx: preprocessArgs.length });
      preprocessArgs.push(a);
      continue;
    }
    if (NOT_A_COMPILE.test(a)) return no('not a compile', a);

    // Options with a value, separate or attached.
    let opt: string | null = null;
    let value = '';
    let consumed = 0;
    if (SEPARATE_VALUE.has(a)) {
      if (i + 1 >= args.length) return no('unknown option', `${a} without its value`);
      opt = a;
      value = args[i + 1]!;
      consumed = 1;
    } else {
      const prefix = ATTACHED_VALUE_PREFIXES.find((p) => a.startsWith(p) && a.length > p.length);
      // -I- is a flag, not "-I" with value "-".
      if (prefix && a !== '-I-' && !(prefix === '-o' && PLAIN_FLAGS.has(a))) {
        opt = prefix;
        value = a.slice(prefix.length);
      } else if (a.startsWith('--sysroot=')) {
        opt = '--sysroot';
        value = a.slice('--sysroot='.length);
      } else if (a.startsWith('--param=')) {
        opt = '--param';
        value = a.slice('--param='.length);
      } else if (a.startsWith('-specs=') || a.startsWith('--specs=')) {
        opt = '-specs';
        value = a.slice(a.indexOf('=') + 1);
      } else if (a.startsWith('--target=')) {
        opt = '--target';
        value = a.slice('--target='.length);
      }
    }

    if (opt !== null) {
      const orig = args.slice(i, i + 1 + consumed);
      i += consumed;
      switch (opt) {
        case '-o':
          if (value === '-') return no('output to stdout', '-o -');
          continue; // the output path is not part of any key
        case '-x':
          x = value;
          keyArgs.push('-x', value);
          preprocessArgs.push(...orig);
          continue;
        case '-MF':
        case '-MT':
        case '-MQ':
          return no('depfile options', `${opt} in the job's arguments: the runner names the depfile and its target`);
        case '-Xpreprocessor':
          return no('option reads an untracked file', `-Xpreprocessor ${value} (passed to the preprocessor unseen)`);
        case '-Xassembler':
          if (!ASSEMBLER_OK.test(value)) return no('option writes extra files', `-Xassembler ${value}`);
          break;
        case '-Xclang':
        case '-mllvm':
        case '-iframework':
        case '-ivfsoverlay':
          return no('unknown option', `${opt} ${value}`);
        case '-include-pch':
          return no('precompiled header', `${opt} ${value}`);
        case '-iprefix':
        case '-iwithprefix':
        case '-iwithprefixbefore':
        case '-imultilib':
        case '-imultiarch':
          return no('option reads an untracked file', `${opt} ${value} (include path not tracked)`);
        case '-specs':
        case '-wrapper':
        case '-B':
          return no('option reads an untracked file', `${orig.join(' ')}`);
        case '-aux-info':
        case '-dumpbase':
        case '-dumpbase-ext':
        case '-dumpdir':
          return no('option writes extra files', `${opt} ${value}`);
        case '-include':
        case '-imacros':
          forcedIncludes = true;
          forcedIncludeNames.push(value);
          break;
        default:
          break;
      }
      if (INCLUDE_DIR_OPTIONS.has(opt)) includeDirs.push(stripTrailingSlashes(value));
      // Joined form for the key, so "-I x" and "-Ix" hit each other.
      const joined = opt.startsWith('--') ? `${opt}=${value}` : opt.length <= 2 ? `${opt}${value}` : null;
      if (joined !== null) pushKey(joined, PREPROCESSOR_ONLY.has(opt));
      else {
        pushKey(opt, PREPROCESSOR_ONLY.has(opt));
        // Keep the pair aligned: both halves are preprocessor-only or neither.
        pushKey(value, PREPROCESSOR_ONLY.has(opt));
      }
      preprocessArgs.push(...orig);
      continue;
    }

    // Flags without a separate value.
    if (a === '-c') {
      sawC = true;
      keyArgs.push(a);
      continue; // the -E run must not see it
    }
    if (a === '-E' || a === '-M' || a === '-MM') return no('preprocessor only', a);
    if (a === '-S') return no('assembly output', '-S');
    if (a === '-fsyntax-only') return no('-fsyntax-only', a);
    if (a === '-MG') return no('depfile options', '-MG (missing headers treated as generated)');
    if (a.startsWith('-save-temps')) return no('option writes extra files', a);
    if (a === '-MD' || a === '-MMD' || a === '-MP') {
      // -MD is what the runner adds anyway; -MMD and -MP change the depfile we store.
      if (a !== '-MD') keyArgs.push(a);
      if (a === '-MMD') mmd = true;
      continue;
    }
    if (PREPROCESSOR_ONLY_FLAGS.has(a)) {
      pushKey(a, true);
      preprocessArgs.push(a);
      continue;
    }
    if (a.startsWith('-g')) {
      if (a === '-gsplit-dwarf' || a.startsWith('-gsplit-dwarf=')) return no('option writes extra files', `${a} (.dwo file)`);
      debugLevel = debugLevelAfter(debugLevel, a);
      keyArgs.push(a);
      preprocessArgs.push(a);
      continue;
    }
    if (a.startsWith('-f')) {
      const r = classifyF(a);
      if (r) return r;
      if (a.startsWith('-fdebug-prefix-map=') || a.startsWith('-ffile-prefix-map=')) {
        const spec = a.slice(a.indexOf('=') + 1);
        const eq = spec.indexOf('=');
        if (eq < 0) return no('unknown option', `${a} (expected OLD=NEW)`);
        prefixMaps.push({ from: spec.slice(0, eq), to: spec.slice(eq + 1) });
      }
      if (a === '-frecord-gcc-switches') recordsSwitches = true;
      if (a === '-fno-record-gcc-switches') recordsSwitches = false;
      keyArgs.push(a);
      preprocessArgs.push(a);
      continue;
    }
    if (a.startsWith('-m')) {
      if (a.endsWith('=native')) hostDependent = true;
      keyArgs.push(a);
      preprocessArgs.push(a);
      continue;
    }
    if (a.startsWith('-Wp,')) return no('option reads an untracked file', `${a} (passed to the preprocessor unseen)`);
    if (a.startsWith('-Wa,')) {
      const bad = a.slice(4).split(',').find((p) => !ASSEMBLER_OK.test(p));
      if (bad !== undefined) return no('option writes extra files', `${a} (assembler option ${bad})`);
      keyArgs.push(a);
      preprocessArgs.push(a);
      continue;
    }
    if (a.startsWith('-W') || /^-O([0-3sgz]|fast)?$/.test(a) || a.startsWith('-std=') || a.startsWith('-stdlib=')) {
      keyArgs.push(a);
      preprocessArgs.push(a);
      continue;
    }
    if (/^-d[A-Za-z]+$/.test(a)) return no('option writes extra files', `${a} (compiler dump)`);
    if (a === '--coverage') return no('profile or coverage', a);
    if (a === '-P' || a === '-C' || a === '-CC') {
      // Only -E output formatting; kept out of the -E run, whose line markers we need.
      keyArgs.push(a);
      continue;
    }
    if (PLAIN_FLAGS.has(a) || a.startsWith('-Wl,')) {
      keyArgs.push(a);
      preprocessArgs.push(a);
      continue;
    }
    return no('unknown option', a);
  }

  if (inputs.length === 0) return no('no source file', 'no input file among the arguments');
  if (inputs.length > 1) return no('multiple source files', inputs.map((s) => s.file).join(' '));
  if (!sawC) return no('called for link', 'no -c');
  const input = inputs[0]!;
  if (typeof input.lang !== 'string') return input.lang;
  if (source !== undefined && input.file !== source) {
    return no('no source file', `the job's source ${source} is not the input in its arguments (${input.file})`);
  }

  const keepPp = debugLevel >= 3 || recordsSwitches;
  const checksums = checksumsInObject(keyArgs, compiler, debugLevel);
  return {
    cacheable: true,
    source: input.file,
    language: input.lang,
    keyArgs: sharedList(keyArgs),
    nonPreprocessorArgs: sharedList(keepPp ? keyArgs : keyArgs.filter((_, idx) => !ppOnlyIdx.has(idx))),
    preprocessArgs,
    includeDirs: sharedList(includeDirs),
    forcedIncludes,
    forcedIncludeNames: sharedList(forcedIncludeNames),
    depfileUserHeadersOnly: mmd,
    commentBlind: !checksums && commentsAreBlind(input.lang, keyArgs),
    checksumsInObject: checksums,
    columnsInObject: columnsInObject(keyArgs, debugLevel),
    debugLevel,
    prefixMaps: prefixMaps.length ? prefixMaps : NO_PREFIX_MAPS,
    hostDependent,
  };
}

/** Lists an analysis shares with the analyses of other command lines, by content. The
 *  compilation daemon keeps thousands of analyses (prepare.ts' memo: one per TU, as a
 *  command line names its source and object), and the TUs of a target give the same
 *  key arguments and include dirs: one copy of each list for all of them, not one each.
 *  Nothing changes an analysis' lists once made. Bounded: past it, pooling starts over. */
const sharedLists = new Map<string, string[]>();
const MAX_SHARED_LISTS = 256;
const NO_PREFIX_MAPS: PrefixMap[] = [];

function sharedList(list: string[]): string[] {
  const k = list.join('\0');
  const known = sharedLists.get(k);
  if (known && known.length === list.length) return known;
  if (sharedLists.size >= MAX_SHARED_LISTS) sharedLists.clear();
  sharedLists.set(k, list);
  return list;
}

// ------------------------------------------------------------ environment

/** Variables that change what the compiler reads or prints. Values go into both keys. */
export const HASHED_ENV = [
  'CPATH', 'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH', 'OBJC_INCLUDE_PATH', 'OBJCPLUS_INCLUDE_PATH',
  'SOURCE_DATE_EPOCH', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES',
  'GCC_COMPARE_DEBUG', 'GCC_EXEC_PREFIX', 'COMPILER_PATH', 'GCC_COLORS', 'GCC_URLS', 'TERM_URLS',
  'COLUMNS', 'GCC_EXTRA_DIAGNOSTIC_OUTPUT', 'SDKROOT', 'MACOSX_DEPLOYMENT_TARGET',
] as const;

/** Make the compiler write files the cache cannot restore, or rewrite its arguments. */
const ENV_UNCACHEABLE = ['DEPENDENCIES_OUTPUT', 'SUNPRO_DEPENDENCIES', 'CCC_OVERRIDE_OPTIONS'] as const;

const ENV_INCLUDE_PATHS = ['CPATH', 'C_INCLUDE_PATH', 'CPLUS_INCLUDE_PATH', 'OBJC_INCLUDE_PATH', 'OBJCPLUS_INCLUDE_PATH'] as const;

export interface EnvAnalysis {
  /** [name, value] of every HASHED_ENV variable that is set, in HASHED_ENV order. */
  hashed: [string, string][];
  /** Directories the include-path variables add; an empty element means ".". */
  includeDirs: string[];
}

export function analyzeEnv(env: NodeJS.ProcessEnv): EnvAnalysis | Uncacheable {
  for (const name of ENV_UNCACHEABLE) {
    if (env[name] !== undefined) return no('environment', `${name} is set`);
  }
  const hashed: [string, string][] = [];
  for (const name of HASHED_ENV) {
    const v = env[name];
    if (v !== undefined) hashed.push([name, v]);
  }
  const includeDirs: string[] = [];
  for (const name of ENV_INCLUDE_PATHS) {
    const v = env[name];
    if (v === undefined) continue;
    for (const d of v.split(':')) includeDirs.push(d === '' ? '.' : stripTrailingSlashes(d));
  }
  return { hashed, includeDirs };
}

/**
 * The working directory as the object's debug info will record it, or null when
 * the object does not depend on it: no debug info, or a prefix map rewriting the
 * whole of it. A map of only part of it (OLD=/home, cwd=/home/u/p) leaves the rest
 * in the object, so the rewritten path is what goes into the key.
 */
export function debugDirForKey(a: Pick<CacheableArgs, 'debugLevel' | 'prefixMaps'>, cwd: string): string | null {
  if (a.debugLevel === 0) return null;
  // gcc applies the last matching map given.
  for (let i = a.prefixMaps.length - 1; i >= 0; i--) {
    const m = a.prefixMaps[i]!;
    const from = stripTrailingSlashes(m.from);
    if (from === '') continue;
    if (cwd === from) return null;
    if (cwd.startsWith(from.endsWith('/') ? from : `${from}/`)) return m.to + cwd.slice(from.length);
  }
  return cwd;
}
