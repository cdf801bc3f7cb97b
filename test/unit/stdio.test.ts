// The build's output written straight to its descriptor (client/stdio.ts), in a child
// process whose stdout is a pipe or a file, as make, editors and the bench give it.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/project.js';

const STDIO = join(REPO, 'dist/client/stdio.js');
const tmp = mkdtempSync(join(tmpdir(), 'rb-stdio-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A child that writes `lines` lines of 100 bytes through stdout() and 'done' through stderr(). */
const writer = (lines: number) =>
  `import(${JSON.stringify(STDIO)}).then(({ stdout, stderr }) => {` +
  `  const out = stdout(); for (let i = 0; i < ${lines}; i++) out.write(String(i).padStart(99, '.') + '\\n');` +
  `  stderr().write('done\\n'); });`;

describe('build output straight to the descriptor', () => {
  it('writes everything, in order, into a pipe far smaller than the output', () => {
    const r = spawnSync(process.execPath, ['-e', writer(20_000)], { encoding: 'utf8', maxBuffer: 1 << 24 });
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(20_001);
    expect(lines[19_999]).toBe('19999'.padStart(99, '.'));
    expect(r.stderr).toBe('done\n');
  });

  it('writes into a file', () => {
    const file = join(tmp, 'out.txt');
    const fd = openSync(file, 'w');
    try {
      const r = spawnSync(process.execPath, ['-e', writer(3)], { stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
      expect(r.status).toBe(0);
    } finally {
      closeSync(fd);
    }
    expect(readFileSync(file, 'utf8')).toBe(['0', '1', '2'].map((i) => i.padStart(99, '.') + '\n').join(''));
  });

  it('loses the output, not the process, when the reader has gone (EPIPE)', async () => {
    const child = spawn(process.execPath, ['-e', `setTimeout(() => { ${writer(50_000)} }, 300)`], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy(); // the reader goes before the writes
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('close', r));
    expect(err).toBe('done\n');
    expect(code).toBe(0);
  });
});
