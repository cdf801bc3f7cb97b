// The warm-cache clean rebuild (issue 16's first target) on its own: the N-TU heavy
// tree built once cold by replibuild (daemons), make -j2 + ccache and make -j2 +
// sccache, then `rm -rf build` (and .replibuild/state) with each cache kept, timed,
// interleaved, every build checked. Next to it the physical floor measured here:
// writing files of the restored outputs' sizes, and its two parts, the page-cache
// write bandwidth (dd) and the cost of creating that many files.
//
//   node bench/run.mjs --only=warm [--n=200] [--reps=warm-clean:5] [--warm-flags=-O2,-g] --merge
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir } from './cleanup.mjs';
import { generateProject } from './generate.mjs';
import { measureScenario } from './measure.mjs';
import { makeBuilders, teardownAll, verifyProgram } from './scenarios.mjs';
import { outputBytes, writeFloor } from './second-machine.mjs';

export const WARM_TOOLS = ['rb-daemon', 'ccache', 'sccache'];

/** Page-cache write bandwidth (dd, no sync: a build does not sync), best of three. */
function ddBandwidth(scratch, mib = 256) {
  const file = join(scratch, 'dd.bin');
  let best = 0;
  for (let rep = 0; rep < 3; rep++) {
    const r = spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', `count=${mib}`], { encoding: 'utf8' });
    // "268435456 bytes (268 MB, 256 MiB) copied, 0.1 s, 2.6 GB/s"
    const m = /copied, ([\d.]+) s/.exec(r.stderr ?? '');
    if (m) best = Math.max(best, (mib * 1048576) / Number(m[1]));
  }
  removeDir(file);
  return best || null;
}

/** Seconds to create (open O_CREAT, write nothing, close) `count` files in a fresh
 *  directory, best of three: the part of the floor no bandwidth removes. */
function createFiles(scratch, count) {
  const dir = join(scratch, 'creates');
  let best = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    removeDir(dir);
    mkdirSync(dir, { recursive: true });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < count; i++) writeFileSync(join(dir, `${i}.o`), '');
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  removeDir(dir);
  return best;
}

/** The floor of a clean rebuild from a warm cache: what a hit must write, written here.
 *  `keep`: the outputs counted (default objects and any depfiles: what a hit restores). */
export function restoreFloor(scratch, buildDir, keep = /\.(o|d)$/) {
  const sizes = outputBytes(buildDir, keep);
  const written = writeFloor(scratch, sizes);
  const bw = ddBandwidth(scratch);
  const creates = createFiles(scratch, sizes.length);
  return {
    ...written,
    dd_bytes_per_second: bw,
    create_seconds: creates,
    // bytes ÷ bandwidth + file creations: the floor's parts, summed.
    parts_seconds: bw ? written.bytes / bw + creates : null,
  };
}

/**
 * opts: {n, reps: {'warm-clean'}, warmFlags?: string[], ...ctx}
 */
export async function runWarm(opts) {
  const { log } = opts;
  const baseDir = join(opts.tmp, 'warm-base');
  const flags = opts.warmFlags ?? ['-O2'];
  const model = generateProject(baseDir, { n: opts.n, variant: 'heavy', jobs: opts.jobs, flags });
  log(`warm: ${opts.n} TUs (${flags.join(' ')}), cold builds first (untimed for the target)`);
  const builders = await makeBuilders(WARM_TOOLS, model, opts, 'warm');
  removeDir(baseDir);
  const result = { n: opts.n, flags, tools: WARM_TOOLS, scenarios: {}, floor: null };
  try {
    result.scenarios.cold = await measureScenario(builders, { name: 'cold', reps: 1, verify: verifyProgram }, log);
    result.scenarios['warm-clean'] = await measureScenario(
      builders,
      { name: 'warm-clean', reps: opts.reps['warm-clean'], before: (b) => b.cleanBuild(), verify: verifyProgram },
      log,
    );
    const rb = builders.find((b) => b.tool === 'rb-daemon' && !b.unavailable);
    if (rb) result.floor = restoreFloor(opts.tmp, join(rb.dir, 'build'));
    for (const b of builders) if (b.cacheStats) result.cache_stats = { ...result.cache_stats, [b.tool]: b.cacheStats() };
  } finally {
    await teardownAll(builders);
  }
  return result;
}

/** BENCHMARKS.md's section for this suite (report.mjs places it). */
export function warmSection(w, meta, scenarioTable) {
  const L = [`## Warm-cache clean rebuild with its physical floor: ${w.n ?? '?'} TUs`, ''];
  if (w.error || w.unavailable) return [...L, `Not run: ${w.error ?? w.unavailable}`, ''].join('\n');
  L.push(
    `The synthetic heavy tree with \`${w.flags.join(' ')}\`, built once cold by each tool (first table), then \`rm -rf build\` ` +
      `(and .replibuild/state) with each cache kept, timed (second table), interleaved, -j${meta.jobs}, every build checked. ` +
      `The ratios are of the same run; the machine is shared with other work (see the load figures), so compare ratios, not absolute times.`,
    '',
  );
  if (w.scenarios.cold) L.push('### Cold build (fills the caches)', '', scenarioTable(w.scenarios.cold, w.tools), '');
  if (w.scenarios['warm-clean']) L.push('### Warm-cache clean rebuild', '', scenarioTable(w.scenarios['warm-clean'], w.tools), '');
  if (w.floor) L.push(floorSentence(w.floor, w.scenarios['warm-clean']?.['rb-daemon']?.summary?.median, 'objects (and depfiles, where a hit writes them)'), '');
  return L.join('\n');
}

/** The floor next to a warm-clean table: what it counts, its measure, its parts, and replibuild's median over it. */
export function floorSentence(f, rbMedian, what) {
  const fmtS = (s) => (s == null ? '—' : s < 1 ? `${(s * 1000).toFixed(1)} ms` : `${s.toFixed(2)} s`);
  const mb = (b) => (b == null ? '—' : `${(b / 1048576).toFixed(1)} MB`);
  return (
    `Physical floor: ${f.files} files to write (${what}, ${mb(f.bytes)}); writing files of the same sizes here takes ` +
    `${fmtS(f.seconds)} (best of 3). Its parts: ${mb(f.bytes)} at the page-cache write bandwidth dd measured (${mb(f.dd_bytes_per_second)}/s) ` +
    `plus ${fmtS(f.create_seconds)} to create ${f.files} empty files = ${fmtS(f.parts_seconds)}.` +
    (rbMedian ? ` replibuild's median is ${(rbMedian / f.seconds).toFixed(1)}× that floor.` : '')
  );
}
