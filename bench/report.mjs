// BENCHMARKS.md from the results of one run: machine, versions, date, the
// targets, then one table per scenario (median, min–max, runs, and the ratio
// of each replibuild mode to every tool: replibuild ÷ tool, < 1 = replibuild faster).
import { REPLIBUILD_TOOLS, TOOL_LABELS } from './builders.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { distccSection } from './distcc.mjs';
import { fmtBytes, fmtRatio, fmtSeconds, ratio } from './stats.mjs';
import { tokensSection } from './tokens-report.mjs';
import { coldOrderSection } from './cold-order.mjs';
import { pchSection } from './pch-report.mjs';
import { floorSentence, warmSection } from './warm.mjs';
import { noopFloorTable } from './noop-floor.mjs';

const RB_COLS = REPLIBUILD_TOOLS;

function cell(e) {
  if (!e) return { median: '—', range: '—', runs: '—', note: 'not run' };
  if (e.unavailable) return { median: 'n/a', range: '—', runs: '0', note: e.unavailable };
  const s = e.summary;
  const notes = [];
  if (s.failed) {
    const bad = e.samples.filter((x) => !x.ok || x.correct === false);
    const first = bad[0];
    const why = !first.ok ? `failed: ${(first.error ?? first.tail ?? '').split('\n')[0]}` : `wrong output: got ${first.got}, want ${first.want}`;
    notes.push(`${s.failed}/${s.n} ${why}`.slice(0, 160));
  }
  const loads = e.samples.map((x) => x.load1).filter((x) => typeof x === 'number');
  if (loads.length) notes.push(`load ${Math.min(...loads).toFixed(1)}${loads.length > 1 ? `–${Math.max(...loads).toFixed(1)}` : ''}`);
  const last = [...e.samples].reverse().find((x) => x.summary);
  if (last?.summary) {
    const c = last.summary;
    notes.push(`compiled ${c.compiled}, cached ${c.cached}, up-to-date ${c.upToDate}, linked ${c.linked}`);
  }
  return {
    median: s.median == null ? 'FAILED' : fmtSeconds(s.median),
    range: s.min == null ? '—' : `${fmtSeconds(s.min)} – ${fmtSeconds(s.max)}`,
    runs: s.failed ? `${s.good}/${s.n}` : `${s.n}`,
    note: notes.join('; '),
  };
}

/** One scenario's table: a row per tool, a ratio column per replibuild mode. */
export function scenarioTable(byTool, tools) {
  const rbCols = RB_COLS.filter((t) => tools.includes(t));
  const head = ['tool', 'median', 'min – max', 'runs', ...rbCols.map((t) => `${TOOL_LABELS[t]} ÷ tool`), 'notes (load = 1-min load average at the runs)'];
  const rows = [head, head.map(() => '---')];
  for (const tool of tools) {
    const e = byTool?.[tool];
    const c = cell(e);
    const ratios = rbCols.map((rb) => (rb === tool ? '1' : fmtRatio(ratio(byTool?.[rb]?.summary?.median, e?.summary?.median))));
    rows.push([TOOL_LABELS[tool] ?? tool, c.median, c.range, c.runs, ...ratios, c.note]);
  }
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function scalingTables(scaling) {
  const sizes = Object.keys(scaling.sizes).map(Number).sort((a, b) => a - b);
  if (sizes.length === 0) return '';
  const tools = ['rb-daemon', 'ninja', 'make'].filter((t) => sizes.some((n) => scaling.sizes[n]?.cold?.[t]));
  const out = [];
  const med = (n, scn, t) => scaling.sizes[n]?.[scn]?.[t]?.summary?.median ?? null;
  const rng = (n, scn, t) => {
    const s = scaling.sizes[n]?.[scn]?.[t]?.summary;
    if (!s) return '—';
    if (scaling.sizes[n]?.[scn]?.[t]?.unavailable) return 'n/a';
    return s.median == null ? 'FAILED' : `${fmtSeconds(s.median)} (${fmtSeconds(s.min)} – ${fmtSeconds(s.max)})`;
  };
  for (const n of sizes) if (scaling.sizes[n].skipped) out.push(`- ${n.toLocaleString('en-US')} TUs ${scaling.sizes[n].skipped}\n`);
  for (const n of sizes) {
    const gone = scaling.sizes[n].left_out ?? [];
    if (gone.length) out.push(`- ${n.toLocaleString('en-US')} TUs: ${gone.map((t) => TOOL_LABELS[t] ?? t).join(', ')} left out (above --scale-make-max=${scaling.make_max}: its cold build would cost as much as ninja's, and no target reads its rows)\n`);
  }
  out.push('Each size\'s rows (no-op, one edit, memory) reuse one cold build per tool, the one in the last table.\n');
  for (const [scn, title] of [
    ['noop', 'No-op build, tiny variant (median, min – max)'],
    ['edit-cpp', 'One .cpp edited, tiny variant (median, min – max)'],
    ['cold', 'Cold build of the tiny variant (one run each; for reference)'],
  ]) {
    out.push(`### ${title}\n`);
    const head = ['TUs', ...tools.map((t) => TOOL_LABELS[t]), 'replibuild ÷ ninja', 'replibuild ÷ make'];
    out.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
    for (const n of sizes) {
      const a = med(n, scn, 'rb-daemon');
      out.push(`| ${n.toLocaleString('en-US')} | ${tools.map((t) => rng(n, scn, t)).join(' | ')} | ${fmtRatio(ratio(a, med(n, scn, 'ninja')))} | ${fmtRatio(ratio(a, med(n, scn, 'make')))} |`);
    }
    out.push('');
  }
  out.push("### replibuild daemons: start-to-ready and memory, tiny variant\n");
  out.push('RSS idle after the builds (read once the daemons\' idle collection has run); peak: the sum of each daemon\'s VmHWM, which bounds the peak of the total from above. Of each daemon\'s RSS, about 40 MB are the node binary\'s own pages, shared by the four processes but counted in each.\n');
  out.push('| TUs | `replibuild start` (to all four ready) | RSS total | peak | setup | discovery | compilation | orchestrator |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const n of sizes) {
    const row = scaling.sizes[n];
    if (row.skipped) continue;
    const e = row.rss?.each ?? {};
    out.push(`| ${n.toLocaleString('en-US')} | ${fmtSeconds(row.start_seconds)} | ${fmtBytes(row.rss?.total)} | ${fmtBytes(row.rss?.peak_total)} | ${fmtBytes(e.setup)} | ${fmtBytes(e.discovery)} | ${fmtBytes(e.compilation)} | ${fmtBytes(e.orchestrator)} |`);
  }
  out.push('');
  return out.join('\n');
}

/** The team-cache scenario: machine B's clean build against a Redis warmed by machine A. */
function secondMachineSection(sm, meta) {
  const L = ['## Second machine: fresh checkout path, fresh local cache, warm Redis', ''];
  if (sm.error || sm.unavailable) {
    L.push(`Not run: ${sm.error ?? sm.unavailable}`, '');
    return L.join('\n');
  }
  L.push(
    `The synthetic tree at ${sm.n} TUs with \`${sm.flags.join(' ')}\` (-g: the checkout's path would be in every object). ` +
      `Machine A (its own checkout path, its own local cache) builds once and fills a Redis of the run's own (redis-server on 127.0.0.1, one per tool); ` +
      `machine B — a checkout at another path, an empty local cache, the same Redis — then builds clean, timed. ` +
      `replibuild: daemons with \`remote_cache = "redis://127.0.0.1:PORT"\` in daemon_config.toml, a fresh REPLIBUILD_CACHE_DIR; it maps the root to "." itself. ` +
      `make -j${meta.jobs} + ccache: \`CCACHE_REMOTE_STORAGE=redis://127.0.0.1:PORT\`, a fresh CCACHE_DIR, \`CCACHE_BASEDIR\` set to the checkout and the same ` +
      `\`-fdebug-prefix-map=$(CURDIR)=. -fmacro-prefix-map=$(CURDIR)=.\` in its CXXFLAGS (with -g, ccache hits across paths only with both). ` +
      `make -j${meta.jobs} without a cache builds everything, for scale. Each rep after the first starts machine B again from nothing built and an empty local cache.`,
    '',
  );
  L.push(scenarioTable(sm.scenarios['second-machine'], sm.tools), '');
  const notes = [];
  const rs = sm.notes?.replibuild_stats;
  if (rs) {
    notes.push(
      rs.remote
        ? `replibuild on B (last rep): ${rs.remote.hits} entries from Redis (remote hits: a manifest and a result per TU), ${rs.remote.misses} remote misses, ${rs.remote.errors} remote errors; ${fmtBytes(rs.remote.bytes_read)} read`
        : `replibuild on B: no remote counters — this replibuild has no remote tier, so B's build was a cold local one (hits ${rs.hits}, misses ${rs.misses})`,
    );
  }
  if (sm.notes?.['rb-daemon']) notes.push(`replibuild: ${sm.notes['rb-daemon']}`);
  const cc = sm.notes?.ccache_counters;
  if (cc) notes.push(`ccache on B (last rep): ${cc.remote_storage_hit ?? '?'} remote hits, ${cc.remote_storage_miss ?? '?'} remote misses, ${cc.remote_storage_error ?? 0} remote errors, ${cc.cache_miss ?? '?'} compiled`);
  const aTimes = Object.entries(sm.machine_a ?? {}).filter(([, e]) => e?.summary?.median != null);
  if (aTimes.length) notes.push(`machine A's build that filled the Redis (not in the table): ${aTimes.map(([t, e]) => `${TOOL_LABELS[t] ?? t} ${fmtSeconds(e.summary.median)}`).join(', ')}`);
  for (const [tool, r] of Object.entries(sm.redis ?? {})) notes.push(`Redis after machine A (${TOOL_LABELS[tool] ?? tool}): ${r.keys} keys, ${fmtBytes(r.used_memory)} used (redis ${r.version ?? '?'})`);
  if (sm.floor) {
    const f = sm.floor;
    notes.push(`physical floor: restoring the ${f.files} objects (${fmtBytes(f.bytes)}) means writing them; the same sizes written here take ${fmtSeconds(f.seconds)} (${fmtBytes(f.bytes_per_second)}/s), besides reading them from Redis`);
  }
  for (const n of notes) L.push(`- ${n}`);
  L.push('');
  return L.join('\n');
}

/** googletest built by replibuild, its own CMake + ninja, and make -j2 (plain, + ccache, + sccache). */
function googletestSection(gt, meta) {
  const withG = Boolean(gt.flags?.includes('-g'));
  const L = [`## googletest (Debian package sources)${withG ? ', built with -g: replibuild against ninja and make + ccache / sccache' : ', replibuild against its own CMake + ninja'}`, ''];
  if (gt.unavailable || gt.error) return [...L, `Not run: ${gt.unavailable ?? gt.error}`, ''].join('\n');
  // Runs before this suite built googletest with CMake's Release flags and only replibuild and ninja.
  const flags = gt.flags ? `\`${gt.flags.join(' ')}\` (CMAKE_BUILD_TYPE=${gt.build_type}, googletest's warnings)` : 'CMAKE_BUILD_TYPE=Release flags';
  L.push(
    `gtest (gtest-all.cc), gtest_main and ${gt.samples.length} sample tests (${gt.samples.join(', ')}), ${flags}, -j${meta.jobs}. ` +
      "replibuild builds it from a replibuild.toml with CMake's targets and flags, ninja from googletest's own CMake, make from a Makefile " +
      "that runs replibuild's very commands (bench/googletest.mjs: same TUs, flags, path maps, depfiles, `ar rcs`, links), with ccache or sccache as $(CXX) where named. " +
      'Each tool builds once cold (empty cache), then no-op, edit and warm-cache clean rebuilds (rm -rf build and .replibuild/state, caches kept), interleaved; ' +
      'ninja and make have no cache, so their clean rebuild is a full one, run once for scale. Every sample must pass after every build, and an edit of samples/sample1.cc must reach the linked sample1_unittest.',
    '',
  );
  const titles = { cold: 'Cold build', noop: 'No-op build', 'edit-cpp': 'samples/sample1.cc edited', 'warm-clean': 'Warm-cache clean rebuild' };
  for (const [id, byTool] of Object.entries(gt.scenarios)) {
    L.push(`### googletest: ${titles[id] ?? id}`, '', scenarioTable(byTool, gt.tools), '');
    if (id === 'warm-clean' && gt.floor) L.push(floorSentence(gt.floor, byTool?.['rb-daemon']?.summary?.median, 'everything a clean rebuild leaves in build/: objects, depfiles, archives and samples'), '');
  }
  return L.join('\n');
}

export function renderMarkdown(results) {
  const m = results.meta;
  const L = [];
  L.push('# Benchmarks');
  L.push('');
  L.push(`Generated by \`${m.command}\` (bench/run.mjs) on ${m.date}${m.quick ? ' — **quick mode**: small trees, few repetitions; run `npm run bench` for the full figures' : ''}. Raw numbers: bench/results.json.`);
  L.push('');
  for (const mg of m.merged ?? []) {
    const cal = mg.calibration?.ok ? `; one heavy TU took ${fmtSeconds(mg.calibration.min)} (min) then` : '';
    const src = mg.replibuild_source ? `; replibuild from commit ${mg.replibuild_source.commit}${mg.replibuild_source.uncommitted_files ? ` plus ${mg.replibuild_source.uncommitted_files} uncommitted file(s)` : ''}` : '';
    L.push(`The ${mg.suite} figures come from an earlier run: \`${mg.command}\` on ${mg.date} (load average at its start ${mg.load_start?.join(' ') ?? '?'}${cal}${src}).`);
    L.push('');
  }
  L.push('Every time is the wall clock of the one command a developer would type (process.hrtime around the spawn), ' + 'and every build is checked: the program is run and must print the value the generator predicts for the current sources. ' + 'Ratios are replibuild ÷ tool on medians of the same run: **< 1 means replibuild is faster**.');
  L.push('');
  L.push('## Machine and tools');
  L.push('');
  L.push(`- CPU: ${m.machine.cpu_model}, ${m.machine.nproc} cores (nproc); memory ${(m.machine.mem_bytes / 2 ** 30).toFixed(1)} GiB; ${m.machine.os}`);
  L.push(`- load average at start ${m.machine.load_start.join(' ')}, at end ${m.machine.load_end?.join(' ') ?? '—'} (other work on this machine during the run makes the figures noisy: see min – max)`);
  L.push(`- harness overhead (spawning /bin/true, median): ${fmtSeconds(m.harness_overhead)} — included in every figure`);
  if (m.calibration) {
    L.push(
      m.calibration.ok
        ? `- one heavy synthetic TU: \`${m.calibration.command}\` takes ${fmtSeconds(m.calibration.min)} (min of ${m.calibration.samples.length}; median ${fmtSeconds(m.calibration.median)})`
        : `- calibration of a heavy TU failed: ${m.calibration.error}`,
    );
  }
  L.push(`- parallelism: -j${m.jobs} for every tool (replibuild: parallel_jobs = ${m.jobs} and -j${m.jobs})`);
  if (m.replibuild_source) {
    const rs = m.replibuild_source;
    L.push(`- replibuild measured: dist/ built ${rs.dist_built ?? '?'} from commit ${rs.commit ?? '?'}${rs.uncommitted_files ? ` plus ${rs.uncommitted_files} uncommitted file(s)` : ''} (a snapshot of dist/ taken at the start of the run)`);
  }
  L.push('');
  L.push('| tool | version |', '| --- | --- |');
  for (const [k, v] of Object.entries(m.versions)) L.push(`| ${k} | ${v ?? 'not found'} |`);
  L.push('');

  L.push('## Targets (issues 6 and 16)');
  L.push('');
  L.push('`npm run bench -- --check` fails (exit 1) when a row misses its target by more than the run\'s noise: half the range of its repeats over their median, summed over both sides of a ratio (bench/check.mjs; a row measured once, or a memory figure, is judged strictly; a row not measured is no failure). `node bench/run.mjs --check --render-only` checks the stored results.json without measuring.');
  L.push('');
  L.push('| target | measured | status |', '| --- | --- | --- |');
  for (const t of results.targets) L.push(`| ${t.target} | ${t.measured ?? '—'} | ${t.status === 'met' ? '**met**' : t.status === 'missed' ? '**missed**' : t.status} |`);
  L.push('');

  const syn = results.synthetic;
  if (syn?.error) L.push(`## Synthetic tree\n\nThe synthetic suite failed: ${syn.error}\n`);
  else if (syn) {
    L.push(`## Synthetic tree: ${syn.n} TUs, ${syn.headers} headers, ${syn.per_tu} per TU + one config header in all`);
    L.push('');
    L.push('Generated by bench/generate.mjs (seeded). Each tool builds its own copy of the same tree with -O2, -j' + m.jobs + '.');
    L.push('make and ninja have no cache: their "warm-cache clean rebuild" is a full rebuild, shown for scale.');
    L.push('');
    for (const { id, title } of SCENARIOS) {
      if (!syn.scenarios[id]) continue;
      L.push(`### ${title}`);
      L.push('');
      L.push(scenarioTable(syn.scenarios[id], results.meta.tools));
      L.push('');
    }
    if (syn.start_seconds != null || syn.rss) {
      L.push(`replibuild daemons on this tree: \`replibuild start\` to all four ready ${fmtSeconds(syn.start_seconds)}; RSS after the scenarios ${fmtBytes(syn.rss?.total)} in all.`);
      L.push('');
    }
  }

  const sm = results['second-machine'];
  if (sm) L.push(secondMachineSection(sm, m));
  if (results.warm) L.push(warmSection(results.warm, m, scenarioTable));
  if (results.distcc) L.push(distccSection(results.distcc, cell));

  if (results.scaling?.error) L.push(`## No-op scaling\n\nThe scaling suite failed: ${results.scaling.error}\n`);
  else if (results.scaling) {
    L.push('## No-op scaling (tiny variant: same include graph, trivial bodies)');
    L.push('');
    L.push(scalingTables(results.scaling));
    L.push(noopFloorTable(results.scaling));
  }

  const gt = results.googletest;
  if (gt) L.push(googletestSection(gt, m));
  if (results.tokens) L.push(tokensSection(results.tokens));
  if (results['cold-order']) L.push(coldOrderSection(results['cold-order']));
  if (results.pch) L.push(pchSection(results.pch));
  if (results.errors?.length) {
    L.push('## Errors');
    L.push('');
    for (const e of results.errors) L.push(`- ${e}`);
    L.push('');
  }
  return L.join('\n');
}
