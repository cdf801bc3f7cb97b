// Runs before every test file (vitest setupFiles). A test that forgets to give a
// build its own REPLIBUILD_CACHE_DIR falls back to ~/.replibuild/cache: the
// developer's real cache, which a test must neither fill nor be served from (an
// earlier run's objects there turn a miss the test expects into a hit). HOME is a
// temp dir for the file's whole run, so such a fallback lands there instead, and
// the file fails, naming the leak, so it gets fixed rather than hidden.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

const home = mkdtempSync(join(tmpdir(), 'replibuild-home-'));
process.env.HOME = home;

afterAll(() => {
  const fallback = join(home, '.replibuild');
  const leaked = existsSync(fallback) ? readdirSync(fallback) : [];
  rmSync(home, { recursive: true, force: true });
  if (leaked.length > 0) {
    throw new Error(`this test file wrote to the default cache dir ~/.replibuild (${leaked.join(', ')}): give its builds a REPLIBUILD_CACHE_DIR of their own (makeProject's env does)`);
  }
});
