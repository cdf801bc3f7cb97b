// The regression guard: `npm run bench -- --check` (or `node bench/run.mjs --check
// --render-only` on the stored results) exits 1 when a row falls short of its target by
// more than this run's measured noise. Timing rows carry their noise from their repeats
// (targets.mjs: spread); a row measured once, or a memory figure, is judged strictly.
// A row not measured in the run is listed, never a failure: what was not run cannot regress.

/** {failed, lines}: the rows past their target beyond the noise, and one line per row. */
export function checkTargets(targets) {
  const failed = [];
  const lines = [];
  for (const t of targets) {
    const e = t.excess;
    let verdict;
    if (t.status === 'not measured') verdict = 'not measured';
    else if (t.status === 'met') verdict = 'ok';
    else if (!e) verdict = 'FAIL';
    else verdict = e.over > e.noise ? 'FAIL' : 'within noise';
    if (verdict === 'FAIL') failed.push(t);
    const detail = e ? ` (${pct(e.over)} past the target, noise ±${pct(e.noise, false)})` : '';
    lines.push(`${verdict.padEnd(12)} ${t.id}: ${t.measured ?? ''}${t.status === 'met' ? '' : detail}`);
  }
  return { failed, lines };
}

function pct(x, signed = true) {
  const v = (x * 100).toFixed(1);
  return `${signed && x >= 0 ? '+' : ''}${v}%`;
}
