// How single compiler options and inputs are classified for the cache (args.ts walks
// a command line with them). The rule throughout: an option we do not know is a
// reason not to cache.

import { extname } from 'node:path';
import { C_EXT, CXX_EXT, type SourceLanguage } from '../config/source-language.js';

export type Language = SourceLanguage;

/** Stable short reasons: they are the keys of the "uncacheable" counters. */
export type UncacheableReason =
  | 'called for link'
  | 'multiple source files'
  | 'no source file'
  | 'source from stdin'
  | 'output to stdout'
  | 'preprocessor only'
  | 'assembly output'
  | '-fsyntax-only'
  | 'not a compile'
  | 'response file'
  | 'unknown option'
  | 'option reads an untracked file'
  | 'option writes extra files'
  | 'profile or coverage'
  | 'precompiled header'
  | 'C++ modules'
  | 'unsupported language'
  | 'depfile options'
  | 'environment'
  | '__DATE__/__TIME__'
  | 'preprocessor failed';

export interface Uncacheable {
  cacheable: false;
  reason: UncacheableReason;
  /** What exactly, for the CompileResult and logs: "-fprofile-use=app.prof". */
  detail: string;
}

export const no = (reason: UncacheableReason, detail: string): Uncacheable => ({ cacheable: false, reason, detail });

/** Options whose value may follow as the next argument. */
export const SEPARATE_VALUE = new Set([
  '-o', '-x', '-I', '-D', '-U', '-include', '-imacros', '-isystem', '-iquote', '-idirafter',
  '-iprefix', '-iwithprefix', '-iwithprefixbefore', '-isysroot', '-imultilib', '-imultiarch',
  '-MF', '-MT', '-MQ', '-Xpreprocessor', '-Xassembler', '-Xlinker', '-Xclang', '-mllvm',
  '-L', '-l', '-T', '-u', '-z', '-e', '-A', '--param', '-aux-info', '-dumpbase', '-dumpbase-ext',
  '-dumpdir', '--sysroot', '-target', '--target', '-arch', '-iframework', '-include-pch',
  '-ivfsoverlay', '-specs', '--specs', '-wrapper', '-B',
]);

/** Options that also take their value attached ("-Iinc", "-xc++", "-isystemdir").
 *  Longer prefixes first, so "-iwithprefixbefore" is not read as "-iwithprefix". */
export const ATTACHED_VALUE_PREFIXES = [
  '-iwithprefixbefore', '-iwithprefix', '-idirafter', '-isystem', '-iquote', '-iprefix', '-isysroot',
  '-imultilib', '-imultiarch', '-include', '-imacros',
  '-I', '-D', '-U', '-L', '-l', '-A', '-B', '-o', '-x',
];

/** Their whole effect is in the preprocessed output, so preprocessor mode leaves them out. */
export const PREPROCESSOR_ONLY = new Set(['-I', '-D', '-U', '-include', '-imacros', '-isystem', '-iquote', '-idirafter', '-A']);
export const PREPROCESSOR_ONLY_FLAGS = new Set(['-nostdinc', '-nostdinc++', '-I-', '-undef']);

export const INCLUDE_DIR_OPTIONS = new Set(['-I', '-iquote', '-isystem', '-idirafter']);

/** Known options without a value that do not stop caching. Linker options are here
 *  because gcc ignores them under -c; they stay in the key all the same. */
export const PLAIN_FLAGS = new Set([
  '-c', '-v', '-H', '-Q', '-p', '-pg', '-w', '-pipe', '-pthread', '-pthreads',
  '-ansi', '-pedantic', '-pedantic-errors', '-trigraphs', '-traditional', '-traditional-cpp',
  '-time', '-MD', '-MMD', '-MP', '-static', '-shared', '-rdynamic', '-s', '-r', '-pie', '-no-pie',
  '-static-pie', '-nostdlib', '-nostdlib++', '-nodefaultlibs', '-nostartfiles', '-shared-libgcc',
  '-static-libgcc', '-static-libstdc++', '-static-libasan', '-static-libubsan', '-static-libtsan',
  '-no-canonical-prefixes', '-nolibc', '-symbolic',
]);

export const NOT_A_COMPILE = /^(--help|--version|-###|-dump(version|fullversion|machine|specs)$|-print-|--target-help|-Wl,--version)/;

/** -f options that read or write files we do not track. Matched as prefixes. */
export const F_WRITES = [
  '-fdump-', '-fcallgraph-info', '-fstack-usage', '-fopt-info', '-fsave-optimization-record',
  '-fcompare-debug', '-fdiagnostics-format=sarif-file', '-fdiagnostics-format=json-file',
  '-fdiagnostics-add-output', '-fdiagnostics-set-output', '-ftime-trace', '-frecord-command-line=',
  '-fdump', '-fsanitize-coverage-trace',
];
export const F_READS = [
  '-fplugin', '-fsanitize-blacklist', '-fsanitize-ignorelist', '-fsanitize-coverage-allowlist',
  '-fsanitize-coverage-ignorelist', '-fsanitize-system-ignorelist', '-fprofile-list', '-fxray-attr-list',
  '-fxray-always-instrument', '-fxray-never-instrument', '-fembed-bitcode', '-finput-charset=./',
  '-fexec-charset=./', '-fcoverage-data-file', '-fprofile-remapping-file',
];
export const F_PROFILE = ['-fprofile-', '-fauto-profile', '-fbranch-probabilities', '-ftest-coverage', '-fcoverage'];
export const F_PROFILE_OK = ['-fprofile-prefix-map=', '-fprofile-reproducible=', '-fprofile-update=', '-fprofile-partial-training', '-fno-profile-'];
export const F_PCH = ['-fpch-', '-fno-pch-'];
export const F_MODULES = ['-fmodules', '-fmodule-', '-fno-modules', '-fimplicit-modules', '-fprebuilt-module'];
/** -f options whose value is a path by design and whose effect we do account for. */
export const F_PATH_OK = ['-fdebug-prefix-map=', '-ffile-prefix-map=', '-fmacro-prefix-map=', '-fprofile-prefix-map='];

/** Assembler options known to write nothing besides the object. */
export const ASSEMBLER_OK = /^(--noexecstack|--compress-debug-sections(=\w+)?|--nocompress-debug-sections|-mrelax-relocations=(yes|no)|--gdwarf-[2-5]|--gdwarf-sections|-mbig-obj|--64|--32|-W|--fatal-warnings|--no-pad-sections|-mx86-used-note=(yes|no)|--generate-missing-build-notes=(yes|no)|-gdwarf-[2-5])$/;

export function startsWithAny(s: string, prefixes: readonly string[]): boolean {
  return prefixes.some((p) => s.startsWith(p));
}

export const HEADER_EXT = new Set(['.h', '.hh', '.H', '.hp', '.hxx', '.hpp', '.HPP', '.h++', '.tcc', '.inl']);

/** Language of an input given the -x in force, or why it is not one we cache. */
export function languageOf(file: string, x: string | null): Language | Uncacheable {
  if (x !== null && x !== 'none') {
    if (x === 'c') return 'c';
    if (x === 'c++') return 'c++';
    // Making a PCH: its output is the one file -o names, like an object (ccache caches it too).
    if (x === 'c-header') return 'c';
    if (x === 'c++-header') return 'c++';
    if (x.endsWith('-header')) return no('precompiled header', `-x ${x} (a precompiled header is written)`);
    return no('unsupported language', `-x ${x}`);
  }
  const ext = extname(file);
  if (C_EXT.has(ext)) return 'c';
  if (CXX_EXT.has(ext)) return 'c++';
  if (HEADER_EXT.has(ext)) return no('precompiled header', `${file} is a header: compiling it writes a precompiled header`);
  return no('unsupported language', `${file}: extension "${ext}" is not a C or C++ source`);
}

export function debugLevelAfter(level: number, arg: string): number {
  if (arg === '-g0' || arg === '-ggdb0') return 0;
  const m = /^-g(gdb|dwarf|stabs\+?|xcoff\+?|vms)?([0-3])?$/.exec(arg);
  if (m) {
    if (m[1] === 'dwarf') return level === 0 ? 2 : level;
    return m[2] !== undefined ? Number(m[2]) : level >= 2 ? level : 2;
  }
  if (/^-gdwarf-\d+$/.test(arg)) return level === 0 ? 2 : level;
  if (arg === '-gline-tables-only' || arg === '-gmlt' || arg === '-gline-directives-only') return level === 0 ? 1 : level;
  // Modifiers that neither enable nor disable debug info.
  if (/^-g(no-)?(column-info|strict-dwarf|record-gcc-switches|statement-frontiers|variable-location-views|internal-reset-location-views|inline-points|as-loc-support|as-locview-support|describe-dies|pubnames|gnu-pubnames|simple-template-names|codeview)$/.test(arg)) return level;
  if (/^-gz(=\w+)?$/.test(arg)) return level;
  // Unknown -g form: assume it turns debug info on, which only puts more into the key.
  return level === 0 ? 2 : level;
}

export function stripTrailingSlashes(p: string): string {
  let s = p;
  while (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  return s;
}
export const C90 = new Set(['-ansi', '-std=c89', '-std=c90', '-std=iso9899:1990', '-std=iso9899:199409']);

/** See CacheableArgs.checksumsInObject. clang puts each file's MD5 into DWARF 5 line
 *  tables (its default since clang 14); only an explicit -gdwarf-2 to -gdwarf-4 (the
 *  last one wins) leaves them out. gcc writes none. */
export function checksumsInObject(keyArgs: readonly string[], compiler: 'gcc' | 'clang' | undefined, debugLevel: number): boolean {
  if (compiler !== 'clang' || debugLevel === 0) return false;
  const dwarf = keyArgs.reduce<number | null>((v, a) => (/^-gdwarf-\d+$/.test(a) ? Number(a.slice('-gdwarf-'.length)) : v), null);
  return dwarf === null || dwarf >= 5;
}

/** See CacheableArgs.columnsInObject. -gcolumn-info is gcc 12's and clang 14's default
 *  with -g (the last of -gcolumn-info / -gno-column-info wins); sanitizers keep each
 *  check's line:col, OpenMP each construct's (clang's ident strings). */
export function columnsInObject(keyArgs: readonly string[], debugLevel: number): boolean {
  let columnInfo = true;
  let other = false;
  for (const a of keyArgs) {
    if (a === '-gcolumn-info') columnInfo = true;
    else if (a === '-gno-column-info') columnInfo = false;
    else if (a.startsWith('-fsanitize=') || a === '-fopenmp' || a.startsWith('-fopenmp=')) other = true;
  }
  return (debugLevel > 0 && columnInfo) || other;
}

/** See CacheableArgs.commentBlind. */
export function commentsAreBlind(language: Language, keyArgs: readonly string[]): boolean {
  for (const a of keyArgs) {
    if (language === 'c' && C90.has(a)) return false;
    if (a === '-traditional' || a === '-traditional-cpp' || a === '-C' || a === '-CC') return false;
    if (a === '-fparse-all-comments' || a.startsWith('-fcomment-block-commands') || a === '-fms-extensions') return false;
    if (a.startsWith('-Wdocumentation') || a === '-Weverything') return false;
    // gcc 15 warns about blanks that line-tails.ts leaves out of the hash.
    if (a.startsWith('-Wtrailing-whitespace') || a.startsWith('-Wleading-whitespace')) return false;
  }
  return true;
}

export function classifyF(a: string): Uncacheable | null {
  if (a === '-fsyntax-only') return no('-fsyntax-only', a);
  if (startsWithAny(a, F_PROFILE) && !startsWithAny(a, F_PROFILE_OK)) return no('profile or coverage', a);
  if (startsWithAny(a, F_PCH)) return no('precompiled header', a);
  if (a === '-fpreprocessed' || a === '-fdirectives-only') return no('unknown option', `${a} (changes what -E shows)`);
  if (startsWithAny(a, F_MODULES) || a === '-fmodules-ts') return no('C++ modules', a);
  if (startsWithAny(a, F_WRITES)) return no('option writes extra files', a);
  if (startsWithAny(a, F_READS)) return no('option reads an untracked file', a);
  const eq = a.indexOf('=');
  if (eq >= 0 && a.slice(eq + 1).includes('/') && !startsWithAny(a, F_PATH_OK)) {
    return no('option reads an untracked file', `${a} (names a file)`);
  }
  return null;
}
