// The tests are TypeScript too, and tsconfig.json leaves them out of `npm run build`, so a
// fixture that drifts from the config types (a new required field) would only show as a
// runtime surprise. tsconfig.test.json checks sources and tests together.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('type check', () => {
  it('sources and tests type-check together (tsconfig.test.json)', () => {
    let out = '';
    try {
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.test.json'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
    } catch (e) {
      const err = e as { stdout?: string; stderr?: string };
      out = `${err.stdout ?? ''}${err.stderr ?? ''}` || String(e);
    }
    expect(out).toBe('');
  }, 180_000);
});
