// The quickstart: build examples/static-lib with replibuild's daemons in a
// scratch copy, show an incremental rebuild and a warm-cache rebuild, stop.
// Run with `npm run example` (after `npm ci`).
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(repo, 'dist/client/cli.js');
const work = mkdtempSync(join(tmpdir(), 'replibuild-example-'));
const project = join(work, 'static-lib');
cpSync(join(repo, 'examples/static-lib'), project, { recursive: true });
// A private cache and free ports, so the example never touches your own.
const env = { ...process.env, REPLIBUILD_CACHE_DIR: join(work, 'cache') };
delete env.CI;
mkdirSync(join(project, '.replibuild'), { recursive: true });
appendFileSync(
  join(project, '.replibuild/daemon_config.toml'),
  ['setup', 'discovery', 'compilation', 'orchestrator'].map((n) => `[daemons.${n}]\nport = 0\n`).join(''),
);

const step = (title, args, opts = {}) => {
  console.log(`\n$ replibuild ${args.join(' ')}    # ${title}`);
  execFileSync(process.execPath, [cli, ...args], { cwd: project, env, stdio: 'inherit', ...opts });
};
const run = () => {
  console.log('\n$ ./build/bin/calc');
  execFileSync(join(project, 'build/bin/calc'), { stdio: 'inherit' });
};

try {
  console.log(`example project: ${project}`);
  step('four daemons, each with its pid and port', ['start']);
  step('cold build', ['compile']);
  run();
  step('nothing changed: nothing to do', ['compile']);
  appendFileSync(join(project, 'src/mathlib/mean.cpp'), '\n// a comment edited\n');
  step('a comment edited: same tokens, so a preprocessor-mode cache hit and no relink', ['compile']);
  appendFileSync(join(project, 'src/app/main.cpp'), '\nint unused_helper() { return 42; }\n');
  step('a real edit: one compile, one link', ['compile']);
  rmSync(join(project, 'build'), { recursive: true });
  rmSync(join(project, '.replibuild/state'), { recursive: true });
  step('build dir wiped: every object and link from the cache', ['compile']);
  run();
  step('daemons, cache hits, memory', ['status']);
  step('cache statistics', ['cache', 'stats']);
} finally {
  try {
    step('stop the daemons', ['stop']);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
