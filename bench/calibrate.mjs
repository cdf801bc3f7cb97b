// How much one heavy synthetic TU costs to compile here: g++ -O2 on one TU of a
// small generated tree, a few times (the minimum is the cost, the median what a
// busy machine gives).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { removeDir } from './cleanup.mjs';
import { sampleTu } from './generate.mjs';
import { median } from './stats.mjs';

export function calibrateTu(dir, { reps = 5, depth } = {}) {
  const { file } = sampleTu(dir, depth === undefined ? {} : { depth });
  const args = ['-std=c++17', '-O2', '-Iinclude', '-c', file, '-o', join(dir, 'tu.o')];
  const xs = [];
  try {
    for (let i = 0; i < reps; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('g++', args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) return { ok: false, error: (r.stderr || r.error?.message || '').trim().slice(0, 400) };
      xs.push(Number(process.hrtime.bigint() - t0) / 1e9);
    }
  } finally {
    removeDir(dir);
  }
  return { ok: true, command: `g++ ${args.slice(0, 4).join(' ')} <tu>.cpp`, samples: xs, min: Math.min(...xs), median: median(xs) };
}
