// The pch suite (pch.mjs) in BENCHMARKS.md and among the targets (issues 17 and 16).
import { HEADERS, SLOW } from './cold-order.mjs';
import { PCH_LABELS } from './pch.mjs';
import { fmtRatio, fmtSeconds, ratio } from './stats.mjs';

const TITLES = { cold: 'Cold build (nothing built, empty cache)', noop: 'No-op build', 'edit-cpp': 'One source edited (a real change)' };
const med = (scn, tool) => scn?.[tool]?.summary?.median ?? null;
const good = (scn, tool) => scn?.[tool]?.summary?.good ?? 0;

function treeTitle(name, t) {
  if (name === 'heavy') return `header-heavy tree: ${t.short_tus ?? '?'} short TUs that each start with ${HEADERS.map((h) => `<${h}>`).join(' ')}, ${SLOW} slow ones (std::regex bodies), main.cpp; -O2`;
  if (name === 'googletest') return `googletest's own tests (Debian's sources, \`${(t.cmake_args ?? []).join(' ')}\`): ${t.programs?.length ?? '?'} test programs with gtest and gtest_main`;
  return `synthetic tree: ${t.tus ? t.tus - 1 : '?'} TUs and main.cpp (bench/generate.mjs, -O2)`;
}

function table(byTool) {
  const tools = Object.keys(PCH_LABELS).filter((t) => byTool?.[t]);
  const L = ['| build | median | min – max | runs | ÷ ninja -j2 | ÷ pch off | notes |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const tool of tools) {
    const e = byTool[tool];
    if (e.unavailable && !e.samples?.length) {
      L.push(`| ${PCH_LABELS[tool]} | not run | | | | | ${e.unavailable} |`);
      continue;
    }
    const s = e.summary;
    const notes = [];
    const bad = e.samples.filter((x) => !x.ok || x.correct === false);
    if (bad.length) notes.push(`${bad.length}/${e.samples.length} ${!bad[0].ok ? `failed: ${(bad[0].error ?? bad[0].tail ?? '').split('\n')[0]}` : `wrong output: got ${bad[0].got}, want ${bad[0].want}`}`.slice(0, 200));
    const loads = e.samples.map((x) => x.load1).filter((x) => typeof x === 'number');
    if (loads.length) notes.push(`load ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
    const c = [...e.samples].reverse().find((x) => x.summary)?.summary;
    if (c) notes.push(`compiled ${c.compiled}, cached ${c.cached}, linked ${c.linked}`);
    const r = (other) => (other === tool ? '1' : fmtRatio(ratio(s.median, med(byTool, other))));
    L.push(`| ${PCH_LABELS[tool]} | ${s.median == null ? 'FAILED' : fmtSeconds(s.median)} | ${s.min == null ? '—' : `${fmtSeconds(s.min)} – ${fmtSeconds(s.max)}`} | ${s.good}/${s.n} | ${r('ninja')} | ${r('rb-off')} | ${notes.join('; ')} |`);
  }
  return L;
}

function floorRow(label, f, ninja) {
  const others = f.other_links_seconds ? ` + other links ${fmtSeconds(f.other_links_seconds)}` : '';
  return `| physical floor, from the times ${label} recorded: max(slowest TU ${fmtSeconds(f.slowest_tu_seconds)}, (${f.tus} TUs ${fmtSeconds(f.tu_sum_seconds)}${others}) / 2) + link ${fmtSeconds(f.link_seconds)} | ${fmtSeconds(f.seconds)} | | | ${fmtRatio(ratio(f.seconds, ninja))} | | |`;
}

/** BENCHMARKS.md's section. */
export function pchSection(r) {
  const L = ['## Automatic precompiled headers: cold builds against ninja (issue 17)', ''];
  if (r.error) return [...L, `The pch suite failed: ${r.error}`, ''].join('\n');
  L.push(
    'bench/pch.mjs, `--only=pch`: each tree built by every tool on its own copy in one run, reps interleaved with the order rotated; ' +
      'a cold rep starts from nothing built, an empty cache and freshly started daemons (no recorded times). replibuild runs its daemons with ' +
      '`pch = "off"` and with `pch = "auto"` in [compiler]. Every build is checked (the program\'s output, or every googletest program passes). ' +
      'Ratios on medians of this run: **< 1 means faster** than the column\'s tool. The floor rows: the physical floor at -j2 from the compile ' +
      'and link times replibuild recorded in its last cold build (the load inflates them as much as the builds). The machine is shared with other ' +
      'work: compare ratios within one table, not absolute times across runs.',
    '',
  );
  L.push(
    r.ninja_session_per_job
      ? `ninja's compiles and links run under \`setsid -w\` (CMAKE_CXX_COMPILER_LAUNCHER, CMAKE_CXX_LINKER_LAUNCHER), each in a session of its own as replibuild's daemons run theirs: with the kernel's autogroup scheduling (${r.autogroup ? 'enabled here' : r.autogroup === false ? 'disabled here' : 'unknown here'}) a session is a scheduling group, and on a loaded machine jobs that share one session get a fraction of the CPU of jobs that have one each (two CPU-bound processes in one session got 0.95 s of CPU in 8 s, two in a session each 1.89 s, measured here at load 11). Every suite runs make's and ninja's jobs this way (bench/builders.mjs).`
      : `setsid was not found: ninja's jobs share one session while replibuild runs each compiler in a session of its own, which favours replibuild on a loaded machine (autogroup scheduling ${r.autogroup ? 'enabled' : 'disabled or unknown'}).`,
    '',
  );
  if (!r.pch_key) L.push(`**This replibuild has no \`pch\` key**: ${r.pch_key_note}. The "off" rows are today's build, without the key.`, '');
  for (const [name, t] of Object.entries(r.trees ?? {})) {
    L.push(`### ${treeTitle(name, t)}`, '');
    if (t.error || t.unavailable) {
      L.push(`Not run: ${t.error ?? t.unavailable}`, '');
      continue;
    }
    if (name === 'googletest') L.push(`Programs: ${t.programs.join(', ')}. The edit appends a function to ${t.edited}; its program must link it.`, '');
    for (const [id, byTool] of Object.entries(t.scenarios ?? {})) {
      L.push(`**${TITLES[id] ?? id}**`, '', ...table(byTool));
      if (id === 'cold') for (const [tool, f] of Object.entries(t.floors ?? {})) if (f) L.push(floorRow(tool === 'rb-auto' ? 'pch = "auto"' : 'pch = "off"', f, med(byTool, 'ninja')));
      L.push('');
    }
    if (t.pch_status) L.push(`What \`replibuild status --json\` of the pch = "auto" daemons said after the cold builds: \`${JSON.stringify(t.pch_status).slice(0, 600)}\``, '');
  }
  return L.join('\n');
}

/**
 * targets.mjs's rows for the suite. `h`: targets.mjs's {judge, past, spread, fmt}.
 * Issue 17: ≥ 1.4× faster than ninja on the header-heavy tree (three reps or more);
 * pch auto never slower than off beyond noise, cold, no-op and one edit, on every tree.
 * Issue 16: cold ≤ 1.03× ninja at 200 TUs (the synthetic tree, replibuild's default pch).
 */
export function pchTargets(pch, { judge, past, spread, fmt }) {
  if (!pch || pch.error) return [];
  const out = [];
  const trees = pch.trees ?? {};
  const heavy = trees.heavy?.scenarios?.cold;
  {
    const a = med(heavy, 'rb-auto');
    const b = med(heavy, 'ninja');
    const reps = Math.min(good(heavy, 'rb-auto'), good(heavy, 'ninja'));
    const ok = a != null && b != null && reps >= 3 ? a * 1.4 <= b : null;
    const why = !trees.heavy ? 'the header-heavy tree was not in this run (--pch-trees)' : !pch.pch_key ? pch.pch_key_note : a == null || b == null ? 'no cold figures for both on the header-heavy tree' : `only ${reps} rep(s) each (--reps=pch-cold:3 judges it): replibuild ${fmt(a)} vs ninja ${fmt(b)}`;
    const noise = spread(heavy, 'rb-auto') + spread(heavy, 'ninja');
    out.push(judge('pch-heavy-ninja', 'issue 17: cold build of the header-heavy tree, pch = "auto", at least 1.4× faster than ninja -j2', `replibuild ${fmt(a)} vs ninja ${fmt(b)}: ${a && b ? (a <= b ? `${(b / a).toFixed(2)}× faster` : `${(a / b).toFixed(2)}× slower`) : '—'}`, ok, why, past(a == null ? null : a * 1.4, b, noise)));
  }
  const names = { heavy: 'header-heavy tree', googletest: 'googletest tests', synthetic: trees.synthetic?.tus ? `${trees.synthetic.tus - 1}-TU tree` : 'synthetic tree' };
  for (const [tree, label] of Object.entries(names)) {
    for (const [id, what] of [['cold', 'cold build'], ['noop', 'no-op'], ['edit-cpp', 'one edit']]) {
      const scn = trees[tree]?.scenarios?.[id];
      if (!scn && id !== 'cold') continue;
      const a = med(scn, 'rb-auto');
      const b = med(scn, 'rb-off');
      const ok = a != null && b != null ? a <= b : null;
      const why = !trees[tree] ? `${label}: not in this run (--pch-trees)` : !pch.pch_key ? pch.pch_key_note : trees[tree].error ?? trees[tree].unavailable ?? `no ${what} figures for both pch modes`;
      const gain = a && b ? (a <= b ? `auto ${(b / a).toFixed(2)}× faster` : `auto ${(a / b).toFixed(2)}× slower`) : '—';
      out.push(judge(`pch-${tree}-${id}-off`, `issue 17: ${what} of the ${label}, pch = "auto" no slower than pch = "off" beyond noise`, `auto ${fmt(a)} vs off ${fmt(b)}: ${gain}`, ok, why, past(a, b, spread(scn, 'rb-auto') + spread(scn, 'rb-off'))));
    }
  }
  {
    const scn = trees.synthetic?.scenarios?.cold;
    const n = trees.synthetic?.tus == null ? null : trees.synthetic.tus - 1;
    const a = med(scn, 'rb-auto') ?? (pch.pch_key ? null : med(scn, 'rb-off'));
    const b = med(scn, 'ninja');
    const ok = n === 200 && a != null && b != null ? a <= b * 1.03 : null;
    const why = !trees.synthetic ? 'the synthetic tree was not in this run (--pch-trees)' : n !== 200 ? `the synthetic tree had ${n ?? 'no'} TUs in this run, not 200 (--n=200)` : 'no cold figures for both';
    const noise = spread(scn, pch.pch_key ? 'rb-auto' : 'rb-off') + spread(scn, 'ninja');
    out.push(judge('pch-cold-200', 'issue 16: cold build at 200 TUs within 3% of ninja -j2 (pch suite; replibuild with its default pch)', `replibuild ${fmt(a)} vs ninja ${fmt(b)}: ${a && b ? `${(a / b).toFixed(2)}×` : '—'}`, ok, why, past(a, b == null ? null : b * 1.03, noise)));
  }
  return out;
}
