// Shared set-up for the cache tests, in the manner of ccache's suites: a wiped
// cache directory and a tiny C++ project per test, the real g++ (or clang++), counters and
// byte-for-byte object comparisons.

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { getCompilerIdentity, type CompilerIdentity } from '../../toolchain/compiler-identity.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { CompileCache, type CompileCacheOptions, type CompileRunner } from '../../cache/cached-compile.js';
import { emptyCounters, type StatCounters } from '../../cache/stats.js';
import type { CompilerPair } from '../helpers/compilers.js';

/** Racy-timestamp margin used by the tests; files are written then left alone this long. */
export const SLACK_MS = 20;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Project {
  readonly root: string;
  constructor(prefix = 'rb-cache-proj-') {
    this.root = mkdtempSync(join(tmpdir(), prefix));
  }
  path(rel: string): string {
    return join(this.root, rel);
  }
  write(rel: string, text: string): void {
    const p = this.path(rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, text);
  }
  read(rel: string): Buffer {
    return readFileSync(this.path(rel));
  }
  text(rel: string): string {
    return readFileSync(this.path(rel), 'utf8');
  }
  rm(rel: string): void {
    rmSync(this.path(rel), { recursive: true, force: true });
  }
  /** Waits until everything written so far is older than the racy margin. */
  settle(): Promise<void> {
    return settleInputs();
  }
  job(source: string, args: string[], object = `build/${source}.o`, cwd = this.root): CompileJob {
    return { cwd, compiler: cxx, args: [...args, '-c', source], source, object, depfile: object.replace(/\.o$/, '.d') };
  }
  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Waits until every file written so far is older than the cache's racy margin: a
 *  compile of a file written just before it is correct but not stored ("too new"). */
export function settleInputs(): Promise<void> {
  return sleep(SLACK_MS * 2 + 10);
}

export function tempCacheDir(): string {
  return mkdtempSync(join(tmpdir(), 'rb-cache-dir-'));
}

/** Tests compile one TU at a time and expect its -E beside it (what 'spare' does with
 *  cores to spare): 'always' makes that hold on a two-core machine too. */
export async function openCache(dir: string, opts: Partial<CompileCacheOptions> = {}): Promise<CompileCache> {
  return CompileCache.open({ dir, racySlackMs: SLACK_MS, statsFlushDelayMs: -1, preprocessAlongside: 'always', ...opts });
}

/** The C++ compiler jobs and identities use: g++, or the pair a suite of the g++/clang++
 *  matrix picks (useCompiler, in its beforeEach). */
let cxx = 'g++';
export function useCompiler(c: CompilerPair): void {
  cxx = c.cxx;
}

const identities = new Map<string, Promise<CompilerIdentity>>();
export function cxxIdentity(): Promise<CompilerIdentity> {
  let id = identities.get(cxx);
  if (!id) identities.set(cxx, (id = getCompilerIdentity(cxx)));
  return id;
}

/** Counts the real compiles, to prove a hit ran no compiler. */
export function countingRunner(): CompileRunner & { calls: number } {
  const f = (async (job, identity, opts) => {
    f.calls++;
    return runCompile(job, identity, opts);
  }) as CompileRunner & { calls: number };
  f.calls = 0;
  return f;
}

export interface Counts {
  direct: number;
  preprocessed: number;
  hits: number;
  misses: number;
  uncacheable: number;
  errors: number;
  evictions: number;
}

export async function counts(cache: CompileCache): Promise<Counts & { raw: StatCounters }> {
  const c = await cache.stats.read();
  return {
    direct: c.direct_hits,
    preprocessed: c.preprocessed_hits,
    hits: c.direct_hits + c.preprocessed_hits,
    misses: c.misses,
    uncacheable: Object.values(c.uncacheable).reduce((a, b) => a + b, 0),
    errors: c.errors,
    evictions: c.evictions,
    raw: c,
  };
}

export function zero(): StatCounters {
  return emptyCounters();
}

export async function compile(cache: CompileCache, job: CompileJob, run: CompileRunner = runCompile): Promise<CompileResult> {
  return cache.compile(job, await cxxIdentity(), run);
}

export interface Env {
  p: Project;
  dir: string;
  cache: CompileCache;
  run: CompileRunner & { calls: number };
}

/** A wiped cache directory, a fresh project and a counting runner; `dispose` removes them. */
export async function setup(opts: Partial<CompileCacheOptions> = {}): Promise<Env & { dispose(): void }> {
  const p = new Project();
  const dir = tempCacheDir();
  const cache = await openCache(dir, opts);
  const run = countingRunner();
  return {
    p,
    dir,
    cache,
    run,
    dispose() {
      p.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The project's TypeScript transpiled to plain ESM in a temp dir (node_modules linked
 * in), so that separate `node` processes can use the cache as two daemons would.
 * Node 20 cannot run .ts itself; transpiling (no type check) takes a moment.
 */
export async function buildForChildProcesses(): Promise<{ root: string; dispose(): void }> {
  const ts = (await import('typescript')).default;
  const repo = join(import.meta.dirname, '..', '..');
  const out = mkdtempSync(join(tmpdir(), 'rb-cache-js-'));
  symlinkSync(join(repo, 'node_modules'), join(out, 'node_modules'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}\n');
  const walk = (rel: string) => {
    for (const d of readdirSync(join(repo, rel), { withFileTypes: true })) {
      const r = join(rel, d.name);
      if (d.isDirectory()) walk(r);
      else if (d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') && !d.name.endsWith('.test.ts')) {
        const js = ts.transpileModule(readFileSync(join(repo, r), 'utf8'), {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        mkdirSync(join(out, rel), { recursive: true });
        writeFileSync(join(out, r.replace(/\.ts$/, '.js')), js);
      }
    }
  };
  // Every source folder the build compiles, so a new layer is never left out.
  const { include } = JSON.parse(readFileSync(join(repo, 'tsconfig.json'), 'utf8')) as { include: string[] };
  for (const top of new Set(include.map((g) => g.split('/')[0]!))) walk(top);
  return { root: out, dispose: () => rmSync(out, { recursive: true, force: true }) };
}
