// Test projects in temp dirs, the real CLI run as a child process, and a
// cleanup that stops exactly the daemons (and their children) the test started.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import type { DaemonRecord } from '../../daemons/host/pidfiles.js';
import type { BuildSummary } from '../../protocol/build.js';
import { removeDir } from '../../bench/cleanup.mjs';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The CLI as bin/replibuild runs it: the entry bundle (scripts/bundle-cli.mjs). */
export const CLI = join(REPO, 'dist/client/cli.bundle.cjs');

export interface TestProject {
  root: string;
  /** A private cache dir, so tests never touch the user's ~/.replibuild/cache. */
  cacheDir: string;
  env: NodeJS.ProcessEnv;
  write(rel: string, content: string): void;
  read(rel: string): string;
  cleanup(): Promise<void>;
}

const HELLO_TOML = `[project]
name = "t"

[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
`;

/** A project whose daemons take free ports (port = 0), never the user's 9001–9004. */
export function makeProject(files: Record<string, string> = {}, daemonConfig = ''): TestProject {
  const base = mkdtempSync(join(tmpdir(), 'replibuild-test-'));
  const root = join(base, 'proj');
  const cacheDir = join(base, 'cache');
  mkdirSync(root, { recursive: true });
  const write = (rel: string, content: string) => {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, content);
  };
  const all: Record<string, string> = {
    'replibuild.toml': HELLO_TOML,
    'src/main.cpp': '#include <cstdio>\nint main() { std::puts("hi"); return 0; }\n',
    ...files,
  };
  for (const [rel, content] of Object.entries(all)) write(rel, content);
  const ports = DAEMON_NAMES.map((n) => `[daemons.${n}]\nport = 0\n`).join('');
  write('.replibuild/daemon_config.toml', daemonConfig || ports);
  // CI=true makes `compile` run in-process; these tests exercise the daemons.
  const env: NodeJS.ProcessEnv = { ...process.env, REPLIBUILD_CACHE_DIR: cacheDir };
  delete env.CI;
  return {
    root,
    cacheDir,
    env,
    write,
    read: (rel) => readFileSync(join(root, rel), 'utf8'),
    cleanup: async () => {
      killProjectDaemons(root);
      rmSync(base, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `fn` in this test process with the project's environment in place of the
 *  runner's: its cache dir, and no CI=true (which would make a build client in this
 *  process build in-process, in the user's own cache, instead of asking the daemons). */
export async function withProjectEnv<T>(p: { env: NodeJS.ProcessEnv }, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const k of Object.keys(process.env)) if (!(k in p.env)) delete process.env[k];
  Object.assign(process.env, p.env);
  try {
    return await fn();
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
}

export function cliSync(args: string[], p: { root: string; env: NodeJS.ProcessEnv }, input?: string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: p.root, env: p.env, encoding: 'utf8', input, timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** What `compile --json` printed: its summary (the last line of stdout), with the exit
 *  code and both streams for the caller's own checks and messages. */
export interface CompileJson extends BuildSummary {
  code: number;
  stdout: string;
  stderr: string;
}

/** `replibuild compile --json ...args`; with `ok`, the build must have succeeded. */
export function compileJson(p: { root: string; env: NodeJS.ProcessEnv }, args: string[] = [], opts: { ok?: boolean } = {}): CompileJson {
  const r = cliSync(['compile', '--json', ...args], p);
  if (opts.ok && r.code !== 0) throw new Error(`compile ${args.join(' ')} exited ${r.code}:\n${r.stdout}${r.stderr}`);
  const last = r.stdout.trim().split('\n').pop() ?? '';
  let summary: BuildSummary;
  try {
    summary = JSON.parse(last) as BuildSummary;
  } catch {
    throw new Error(`compile --json printed no summary (exit ${r.code}):\n${r.stdout}${r.stderr}`);
  }
  return { ...summary, code: r.code, stdout: r.stdout, stderr: r.stderr };
}

export function cli(args: string[], p: { root: string; env: NodeJS.ProcessEnv }): Promise<CliResult> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: p.root, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

export function readRecordFile(root: string, name: string): DaemonRecord | null {
  const f = join(root, '.replibuild/pids', `${name}.json`);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as DaemonRecord) : null;
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Last resort after a test: SIGKILL the daemons recorded for this project, and
 *  the compiler process groups they recorded — by pid, never by name. */
export function killProjectDaemons(root: string): void {
  for (const n of DAEMON_NAMES) {
    const rec = readRecordFile(root, n);
    const children = join(root, '.replibuild/pids', `${n}.children.json`);
    if (existsSync(children)) {
      try {
        for (const c of JSON.parse(readFileSync(children, 'utf8')) as { pid: number }[]) {
          try {
            process.kill(-c.pid, 'SIGKILL');
          } catch {
            /* gone */
          }
        }
      } catch {
        /* torn file */
      }
    }
    if (rec && pidAlive(rec.pid)) {
      const cmd = readFileSync(`/proc/${rec.pid}/cmdline`, 'utf8');
      if (cmd.includes('--replibuild-daemon')) process.kill(rec.pid, 'SIGKILL');
    }
  }
}

export async function waitFor(pred: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}

/** Removes the project's build state (what a warm clean rebuild starts without), moved
 *  aside first: the daemons save into it after they have answered (bench/cleanup.mjs). */
export function dropState(root: string): void {
  removeDir(join(root, '.replibuild', 'state'));
}

/** A maker of test projects whose daemons are stopped, and whose dirs are removed,
 *  after each test, even a failed one. Call at the top of a test file. */
export function projectsPerTest(): (...args: Parameters<typeof makeProject>) => TestProject {
  const made: TestProject[] = [];
  afterEach(async () => {
    for (const p of made.splice(0)) {
      cliSync(['stop'], p);
      await p.cleanup();
    }
  });
  return (...args) => {
    const p = makeProject(...args);
    made.push(p);
    return p;
  };
}

/** Every object file under the project's build dir, by path relative to the root. */
export function objects(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const x = join(d, f);
      if (statSync(x).isDirectory()) walk(x);
      else if (x.endsWith('.o')) out.set(relative(root, x), readFileSync(x));
    }
  };
  walk(join(root, 'build'));
  return out;
}
