// Builds native/spawn-helper.c into dist/spawn-helper (toolchain/spawner.ts says why).
// With no C compiler on PATH the daemons start programs themselves, so a failure here
// is a note, not a failed build. Compiled to a temp name and renamed: a daemon running
// the old binary keeps it.
import { spawnSync } from 'node:child_process';
import { renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const src = fileURLToPath(new URL('../native/spawn-helper.c', import.meta.url));
const out = fileURLToPath(new URL('../dist/spawn-helper', import.meta.url));
const tmp = `${out}.tmp-${process.pid}`;
const compilers = [process.env.CC, 'cc', 'gcc', 'clang'].filter(Boolean);
let built = false;
let last = '';
for (const cc of compilers) {
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', tmp, src], { encoding: 'utf8' });
  if (r.status === 0) {
    renameSync(tmp, out);
    built = true;
    break;
  }
  last = r.error ? `${cc}: ${r.error.message}` : `${cc}: ${r.stderr.trim()}`;
}
rmSync(tmp, { force: true });
if (!built) process.stderr.write(`note: dist/spawn-helper not built (${last}); the daemons will start programs themselves\n`);
