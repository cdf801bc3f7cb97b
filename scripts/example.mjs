// The quickstart: build examples/static-lib with replibuild's daemons in a
// scratch copy, show an incremental rebuild and a warm-cache rebuild, stop.
// Run with `npm run example` (after `npm ci`).
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
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
const stats = () => JSON.parse(execFileSync(process.execPath, [cli, 'cache', 'stats', '--json'], { cwd: project, env, encoding: 'utf8' }));
const edit = (rel, from, to) => {
  const file = join(project, rel);
  const text = readFileSync(file, 'utf8');
  if (!text.includes(from)) throw new Error(`${rel} no longer contains ${JSON.stringify(from)}: update scripts/example.mjs`);
  writeFileSync(file, text.replace(from, to));
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
  edit('include/mathlib/stats.h', '// Arithmetic mean of', '// The arithmetic mean (the average) of');
  step(
    'a header comment reworded longer: hashes keep tokens and their lines and columns, not what follows the last token of a line, so all three TUs are direct-mode hits; the objects are the same, so nothing is relinked',
    ['compile'],
  );
  const before = stats();
  appendFileSync(join(project, 'src/mathlib/mean.cpp'), '\n// a comment added\n');
  step('a comment line added to mean.cpp: the text moved, so direct mode misses', ['compile']);
  const after = stats();
  const cores = availableParallelism();
  console.log(
    after.preprocessed_hits > before.preprocessed_hits
      ? '# what happened: a preprocessor-mode hit (the -E output, comments gone, was seen before)'
      : after.misses > before.misses
        ? `# what happened: compiled again. On ${cores} core(s) the -E that preprocessor mode needs ` +
          (cores < 4 ? 'does not run beside compiles (it slowed them by 15-25%), ' : 'did not run beside the cold compile of this TU, ') +
          'so it could not hit; the object came out identical, so nothing was relinked'
        : '# what happened: a cache hit',
  );
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
