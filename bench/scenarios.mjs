// The synthetic suites: the six scenarios on an N-TU heavy tree for every tool,
// and no-op scaling on the tiny tree at several N. Each tool gets its own copy
// of the same generated tree; after every build the program is run and must
// print the value the model of its tree predicts.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { makeBuilder } from './builders.mjs';
import { removeDir } from './cleanup.mjs';
import { daemonsMemory } from './scale-memory.mjs';
import { binaryPath, cloneModel, editConfigComment, editConfigValue, editTu, expectedOutput, generateProject } from './generate.mjs';
import { measureScenario } from './measure.mjs';
import { daemonsRss } from './replibuild.mjs';
import { nodeFloorBuilder, verifyUnlessFloor } from './noop-floor.mjs';

/** The largest scaling size make runs at (--scale-make-max). */
export const SCALE_MAKE_MAX = 2000;

export const SCENARIOS = [
  { id: 'cold', title: 'Cold build (empty cache, nothing built)' },
  { id: 'warm-clean', title: 'Warm-cache clean rebuild (rm -rf build and .replibuild/state, cache kept)' },
  { id: 'noop', title: 'No-op build (nothing changed)' },
  { id: 'edit-cpp', title: 'One .cpp edited (a real change)' },
  { id: 'edit-header', title: 'All-included config header edited (a real change)' },
  { id: 'comment-header', title: 'Comment-only edit of the all-included config header' },
];

/** Runs the program of a builder's tree and compares with its model. */
export function verifyProgram(b) {
  const bin = binaryPath(b.model, b.tool);
  const want = expectedOutput(b.model.plan, b.model.state);
  const r = spawnSync(bin, [], { encoding: 'utf8', timeout: 30_000 });
  const got = r.status === 0 ? r.stdout.trim() : `exit ${r.status ?? r.error?.message}`;
  return { correct: got === want, got, want };
}

export async function makeBuilders(tools, model, ctx, tag) {
  const builders = [];
  for (const tool of tools) {
    const dir = join(ctx.tmp, `${tag}-${tool}`);
    cpSync(model.dir, dir, { recursive: true });
    const scratch = join(ctx.tmp, `${tag}-${tool}-scratch`);
    mkdirSync(scratch, { recursive: true });
    const b = await makeBuilder(tool, { dir, cli: ctx.cli, jobs: ctx.jobs, logDir: ctx.logDir, scratch, availability: ctx.availability, timeoutMs: ctx.timeoutMs });
    b.model = cloneModel(model, dir);
    b.scratch = scratch;
    if (!b.unavailable) {
      try {
        await b.setup();
      } catch (e) {
        b.unavailable = `setup failed: ${e.message}`;
        ctx.log(`  ${b.label}: ${b.unavailable}`);
      }
    }
    builders.push(b);
  }
  return builders;
}

export async function teardownAll(builders) {
  for (const b of builders) {
    try {
      await b.teardown?.();
    } catch {
      /* reported by cleanup */
    }
    removeDir(b.dir);
    removeDir(b.scratch);
  }
}

/**
 * The six scenarios at N heavy TUs.
 * opts: {n, tools, reps: {cold, noop, 'edit-cpp', 'edit-header', 'comment-header', 'warm-clean'}, ...ctx}
 */
export async function runSynthetic(opts) {
  const { log } = opts;
  const baseDir = join(opts.tmp, 'synthetic-base');
  const model = generateProject(baseDir, { n: opts.n, variant: 'heavy', jobs: opts.jobs });
  log(`synthetic: ${opts.n} TUs, ${model.plan.m} headers, ${model.plan.k} per TU (+ config.hpp), in ${baseDir}`);
  const builders = await makeBuilders(opts.tools, model, opts, 'syn');
  removeDir(baseDir);
  const result = { n: opts.n, headers: model.plan.m, per_tu: model.plan.k, scenarios: {}, start_seconds: null, rss: null, cache_stats: {} };
  const verify = verifyProgram;
  const tuToEdit = (rep) => (rep * 37 + 11) % opts.n;
  // make and ninja have no cache: after a comment edit or an rm -rf they rebuild
  // everything, every time; one run of that is enough.
  const onceWithoutCache = (tool) => (tool === 'make' || tool === 'ninja' ? 1 : Infinity);
  // Repeated cold builds only for the pair the cold-build target compares.
  const coldPair = (tool) => (tool === 'rb-daemon' || tool === 'ninja' ? Infinity : 1);
  const specs = {
    cold: { before: (b, rep) => (rep > 0 ? b.resetCold() : undefined), repsFor: coldPair },
    noop: {},
    'edit-cpp': { before: (b, rep) => editTu(b.model, tuToEdit(rep)) },
    'edit-header': { before: (b) => editConfigValue(b.model) },
    'comment-header': { before: (b) => editConfigComment(b.model), repsFor: onceWithoutCache },
    'warm-clean': { before: (b) => b.cleanBuild(), repsFor: onceWithoutCache },
  };
  try {
    const rb = builders.find((b) => b.tool === 'rb-daemon' && !b.unavailable);
    if (rb) result.start_seconds = rb.startSeconds;
    for (const id of ['cold', 'noop', 'edit-cpp', 'edit-header', 'comment-header', 'warm-clean']) {
      log(`synthetic ${opts.n} TUs: ${id}`);
      result.scenarios[id] = await measureScenario(builders, { name: id, verify, reps: opts.reps[id], ...specs[id] }, log);
    }
    if (rb) result.rss = daemonsRss(opts.cli, rb.dir, rb.env);
    for (const b of builders) if (b.cacheStats) result.cache_stats[b.tool] = b.cacheStats();
  } finally {
    await teardownAll(builders);
  }
  return result;
}

/**
 * No-op scaling on the tiny variant: for each N, one cold build per tool (recorded, and
 * the build every later row at that N reuses), then no-op builds and one-file edits; the
 * daemons' RSS and start-to-ready time at each N. make runs only up to `makeMax` TUs
 * (default 2,000): at 20,000 its cold build alone is ~8 min here and none of its rows
 * is a target. A size whose cold builds, extrapolated from the last size's, cannot fit
 * the time left is skipped, and every build is stopped at the budget's deadline.
 * opts: {sizes, tools, makeMax?, reps: {scaleNoop, scaleEdit}, deadline?, ...ctx}
 */
export async function runScaling(opts) {
  const { log } = opts;
  const makeMax = opts.makeMax ?? SCALE_MAKE_MAX;
  const result = { sizes: {}, make_max: makeMax };
  let prev = null; // {n, cold: {tool: seconds of its cold build at n}}
  for (const n of opts.sizes) {
    const tools = opts.tools.filter((t) => t !== 'make' || n <= makeMax);
    if (prev && opts.deadline) {
      // Every tool of this size that has a time at the last one (a tool new here adds nothing: an underestimate).
      const estimate = tools.reduce((a, t) => a + ((prev.cold[t] ?? 0) * n) / prev.n, 0);
      const left = (opts.deadline - Date.now()) / 1000;
      if (estimate > left) {
        const why = `skipped: the cold builds (${tools.join(', ')}) estimated at ${Math.round(estimate)} s from ${prev.n.toLocaleString('en-US')} TUs', ${Math.round(left)} s of the time budget left`;
        log(`scaling ${n} TUs ${why}`);
        result.sizes[n] = { n, skipped: why };
        continue;
      }
    }
    const baseDir = join(opts.tmp, `tiny-${n}-base`);
    const model = generateProject(baseDir, { n, variant: 'tiny', jobs: opts.jobs });
    log(`scaling: tiny tree, ${n} TUs, ${model.plan.m} headers`);
    const builders = await makeBuilders(tools, model, opts, `tiny${n}`);
    removeDir(baseDir);
    const row = { n, headers: model.plan.m, tools, left_out: opts.tools.filter((t) => !tools.includes(t)), start_seconds: null, rss: null, cold: {}, noop: null, 'edit-cpp': null };
    try {
      const rb = builders.find((b) => b.tool === 'rb-daemon' && !b.unavailable);
      if (rb) row.start_seconds = rb.startSeconds;
      row.cold = await measureScenario(builders, { name: 'cold', reps: 1, verify: verifyProgram }, log);
      // A tool whose cold build failed has nothing to no-op on: stop it here.
      for (const b of builders) {
        const s = row.cold[b.tool]?.samples?.[0];
        if (!b.unavailable && s && (!s.ok || s.correct === false)) {
          b.unavailable = `cold build failed: ${(s.error ?? s.tail ?? 'wrong output').split('\n')[0]}`.slice(0, 300);
          await b.teardown?.();
        }
      }
      const cold = Object.fromEntries(Object.entries(row.cold).filter(([, e]) => e.summary?.median != null).map(([t, e]) => [t, e.summary.median]));
      if (Object.keys(cold).length) prev = { n, cold };
      // The floor (`node -e 0`) is timed among the no-ops only (bench/noop-floor.mjs).
      row.noop = await measureScenario([...builders, nodeFloorBuilder(opts)], { name: 'noop', reps: opts.reps.scaleNoop, verify: verifyUnlessFloor(verifyProgram) }, log);
      row['edit-cpp'] = await measureScenario(
        builders,
        { name: 'edit-cpp', reps: opts.reps.scaleEdit, before: (b, rep) => editTu(b.model, (rep * 7919 + 3) % n), verify: verifyProgram },
        log,
      );
      if (rb) {
        row.rss = await daemonsMemory(opts.cli, rb.dir, rb.env);
        if (row.rss) log(`  daemons' RSS at ${n} TUs: ${(row.rss.total / 1048576).toFixed(1)} MB idle, ${(row.rss.peak_total / 1048576).toFixed(1)} MB peak (sum of VmHWM) ${JSON.stringify(row.rss.each)}`);
      }
    } finally {
      await teardownAll(builders);
    }
    result.sizes[n] = row;
  }
  return result;
}
