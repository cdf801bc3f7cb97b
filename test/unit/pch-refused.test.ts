// pchRefused (daemons/orchestrator/pch-steps.ts) on what the real compilers print for a
// .gch they cannot use: g++ warns (-Winvalid-pch) and reads the header, clang++ fails.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pchRefused } from '../../daemons/orchestrator/pch-steps.js';
import { COMPILERS } from '../helpers/compilers.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const GCH = 'build/.pch/app/0123456789abcdef.h.gch';

describe.each(COMPILERS.map((c) => [c.name, c] as const))('pchRefused (%s)', (_name, c) => {
  it('recognizes the compiler refusing a corrupt .gch named by -include, and nothing else', () => {
    const d = mkdtempSync(join(tmpdir(), 'replibuild-pch-refused-'));
    dirs.push(d);
    const header = GCH.replace(/\.gch$/, '');
    mkdirSync(join(d, 'build/.pch/app'), { recursive: true });
    writeFileSync(join(d, header), '#include <cstddef>\n');
    writeFileSync(join(d, GCH), 'not a precompiled header at all');
    writeFileSync(join(d, 'a.cpp'), 'int main() { return 0; }\n');
    const r = spawnSync(c.cxx, ['-include', header, '-Winvalid-pch', '-c', 'a.cpp', '-o', 'a.o'], { cwd: d, encoding: 'utf8' });
    expect(r.status).toBe(c.kind === 'gcc' ? 0 : 1); // g++ reads the header text instead
    expect(pchRefused(r.stderr, GCH)).toBe(true);

    // An ordinary error or warning is not about the PCH.
    writeFileSync(join(d, 'b.cpp'), 'int main() { int unused; return missing; }\n');
    const e = spawnSync(c.cxx, ['-Wall', '-c', 'b.cpp', '-o', 'b.o'], { cwd: d, encoding: 'utf8' });
    expect(e.status).not.toBe(0);
    expect(pchRefused(e.stderr, GCH)).toBe(false);
  });
});
