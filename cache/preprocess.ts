// The `-E` run behind preprocessor mode. One run gives three things: the hash of
// the preprocessed output (key2), every file the preprocessor entered with the file
// that included it (from the line markers), and the include search list (from -v).

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { parseSearchList, preprocessEnv, type SearchList } from '../toolchain/compiler-search.js';
import { killProcessGroup } from '../toolchain/process-group.js';

// Parsing -v and the environment of the -E run are shared with the planner's probe.
export { parseSearchList, preprocessEnv, type SearchList };

export interface IncludedFile {
  /** As the preprocessor spelled it: include dir + "/" + name, unnormalized. */
  path: string;
  /** Real path of the file whose #include entered it, or null for the command line
   *  (-include files and the implicit stdc-predef.h). */
  includer: string | null;
}

export interface PreprocessOutput {
  /** Name of the main file as the first line marker gives it. */
  mainFile: string;
  /** Files entered (line-marker flag 1), first entry order, each once. */
  files: IncludedFile[];
  /** sha256 hex of the output, with the working-directory marker left out when `dropCwdMarker`. */
  hash: string;
}

export interface PreprocessResult {
  exitCode: number;
  stderr: string;
  output: PreprocessOutput | null;
  search: SearchList;
}

export class PreprocessCancelledError extends Error {
  constructor() {
    super('preprocessing cancelled');
    this.name = 'AbortError';
  }
}

/** Undoes the escapes gcc and clang write in line-marker file names; bytes are
 *  carried as latin1 chars and decoded as UTF-8 at the end. */
export function unescapeMarkerName(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '\\' || i + 1 >= raw.length) {
      out += c;
      continue;
    }
    const n = raw[i + 1]!;
    if (n >= '0' && n <= '7') {
      let j = i + 1;
      let digits = '';
      while (j < raw.length && digits.length < 3 && raw[j]! >= '0' && raw[j]! <= '7') digits += raw[j++];
      out += String.fromCharCode(parseInt(digits, 8));
      i = j - 1;
    } else {
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n;
      i++;
    }
  }
  return Buffer.from(out, 'latin1').toString('utf8');
}

const MARKER = /^# (\d+) "((?:[^"\\]|\\.)*)"((?: \d+)*)\s*$/;

/** Where -include'd files come from: gcc names it "<command-line>", clang "<command line>". */
const COMMAND_LINE = new Set(['<command-line>', '<command line>']);
/** Names in line markers that are no file. clang enters them with flag 1 (gcc never does). */
const PSEUDO_FILES = new Set([...COMMAND_LINE, '<built-in>']);

/**
 * Parses and hashes preprocessed output. With `dropCwdMarker`, the line gcc writes
 * under -g to name the working directory (`# 1 "/path//"`, second line) is left out
 * of the hash: the caller puts the directory into the key itself when it matters.
 */
export function parsePreprocessed(out: Buffer, dropCwdMarker: boolean): PreprocessOutput | null {
  const h = createHash('sha256');
  const firstEnd = out.indexOf(10);
  if (firstEnd < 0) return null;
  const first = MARKER.exec(out.subarray(0, firstEnd).toString('latin1'));
  if (!first) return null;
  const mainFile = unescapeMarkerName(first[2]!);

  let hashFrom = 0;
  const secondEnd = out.indexOf(10, firstEnd + 1);
  if (dropCwdMarker && secondEnd > 0) {
    const m = MARKER.exec(out.subarray(firstEnd + 1, secondEnd).toString('latin1'));
    if (m && m[3] === '' && m[2]!.endsWith('//')) {
      h.update(out.subarray(0, firstEnd + 1));
      hashFrom = secondEnd + 1;
    }
  }
  h.update(out.subarray(hashFrom));

  // The stack of real files being read; line markers without flags only rename the
  // presumed file (#line), flag 1 enters a file and flag 2 returns from one.
  const stack: { real: string | null }[] = [{ real: mainFile }];
  let presumedCommandLine = false;
  const files: IncludedFile[] = [];
  const seen = new Set<string>();
  let pos = 0;
  while (pos < out.length) {
    let lineStart: number;
    if (pos === 0) lineStart = 0;
    else {
      const at = out.indexOf('\n#', pos - 1);
      if (at < 0) break;
      lineStart = at + 1;
    }
    let lineEnd = out.indexOf(10, lineStart);
    if (lineEnd < 0) lineEnd = out.length;
    pos = lineEnd + 1;
    const line = out.subarray(lineStart, lineEnd).toString('latin1');
    const m = MARKER.exec(line);
    if (!m) continue;
    const name = unescapeMarkerName(m[2]!);
    const flags = m[3]!.trim().split(/\s+/).filter(Boolean);
    if (flags.includes('1')) {
      const top = stack[stack.length - 1]!;
      const includer = presumedCommandLine ? null : top.real;
      const pseudo = PSEUDO_FILES.has(name);
      // A file included from a pseudo file (clang's <command line>) has no includer, as in gcc.
      stack.push({ real: pseudo ? null : name });
      presumedCommandLine = false;
      if (!pseudo && !seen.has(name)) {
        seen.add(name);
        files.push({ path: name, includer });
      }
    } else if (flags.includes('2')) {
      if (stack.length > 1) stack.pop();
      presumedCommandLine = COMMAND_LINE.has(name);
    } else {
      presumedCommandLine = COMMAND_LINE.has(name);
    }
  }
  return { mainFile, files, hash: h.digest('hex') };
}

export interface PreprocessOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  dropCwdMarker: boolean;
  signal?: AbortSignal;
  onSpawn?(pid: number): void;
  onExit?(pid: number): void;
}

/** Runs `compiler args -E -v` and parses what it printed. */
export function runPreprocessor(compiler: string, args: readonly string[], opts: PreprocessOptions): Promise<PreprocessResult> {
  return new Promise((resolvePromise, reject) => {
    if (opts.signal?.aborted) {
      reject(new PreprocessCancelledError());
      return;
    }
    const child = spawn(compiler, [...args, '-E', '-v'], {
      cwd: opts.cwd,
      env: preprocessEnv(opts.env),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      if (child.pid !== undefined) killProcessGroup(child.pid);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('spawn', () => {
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
    });
    let done = false;
    const finish = (code: number | null, spawnError?: Error) => {
      if (done) return;
      done = true;
      opts.signal?.removeEventListener('abort', onAbort);
      if (child.pid !== undefined) opts.onExit?.(child.pid);
      if (aborted) {
        reject(new PreprocessCancelledError());
        return;
      }
      const stderr = Buffer.concat(err).toString('utf8');
      if (spawnError) {
        resolvePromise({ exitCode: 127, stderr: spawnError.message, output: null, search: { dirs: [], missing: [] } });
        return;
      }
      const exitCode = code ?? 128;
      resolvePromise({
        exitCode,
        stderr,
        output: exitCode === 0 ? parsePreprocessed(Buffer.concat(out), opts.dropCwdMarker) : null,
        search: parseSearchList(stderr),
      });
    };
    child.on('error', (e) => {
      if (child.pid === undefined) finish(null, e);
    });
    child.on('close', (code) => finish(code));
  });
}
