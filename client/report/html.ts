// A build's trace as one self-contained HTML page: an SVG timeline of the job slots
// (a bar per compile and link, coloured by outcome, a tooltip each, the critical path
// outlined), the hit rate, the slowest TUs and the headers that cost most. Inline
// style and script only: the page loads nothing, so it opens offline and from CI
// artifacts. Pure: a trace in, a string out.

import type { BuildTrace, HeaderCost, StepOutcome, TraceStep } from '../../protocol/trace.js';
import { explainLine, outcomeText, reasonText, traceHeading } from '../explain.js';
import { barsOf, counts, criticalPath, hitRate, slowestTus, type Bar } from './build-figures.js';

export const OUTCOME_COLOURS: Record<StepOutcome, string> = {
  compiled: '#4e79a7',
  cached: '#59a14f',
  linked: '#b07aa1',
  'up-to-date': '#c9c9c9',
  failed: '#e15759',
  skipped: '#9d9d9d',
};

const LABEL_W = 70;
const PLOT_W = 1000;
const ROW_H = 24;
const BAR_H = 18;
const AXIS_H = 24;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)}s`;

/** What a bar's tooltip says: the step, what came of it, why it ran, its slot and times. */
export function tooltipText(s: TraceStep): string {
  const lines = [`${s.name} [${s.target}]`, outcomeText(s)];
  if (s.reason) lines.push(`why: ${reasonText(s.reason)}`);
  if (s.lane !== undefined && s.start !== undefined && s.end !== undefined) lines.push(`job ${s.lane + 1}: ${secs(s.start)} → ${secs(s.end)}`);
  return lines.join('\n');
}

/** A step between 1, 2, 5 × 10^k ms giving at most ~10 ticks. */
function tickStep(totalMs: number): number {
  const raw = totalMs / 10;
  const p = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

function timeline(trace: BuildTrace, bars: Bar[], critical: Set<number>): string {
  // reduce, not Math.max(...): a cold build of a big project has more bars than a call has arguments.
  const lanes = bars.reduce((n, b) => Math.max(n, b.lane + 1), 1);
  const totalMs = bars.reduce((n, b) => Math.max(n, b.end), Math.max(1, trace.seconds * 1000));
  const x = (ms: number) => LABEL_W + (ms / totalMs) * PLOT_W;
  const height = AXIS_H + lanes * ROW_H + 4;
  const out: string[] = [];
  out.push(`<svg id="timeline" width="${LABEL_W + PLOT_W + 10}" height="${height}" role="img" aria-label="job lanes">`);
  const step = tickStep(totalMs);
  for (let t = 0; t <= totalMs; t += step) {
    out.push(`<line class="grid" x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${AXIS_H - 4}" y2="${height}"/>`);
    out.push(`<text class="tick" x="${x(t).toFixed(1)}" y="${AXIS_H - 8}">${(t / 1000).toFixed(step < 1000 ? 1 : 0)}s</text>`);
  }
  for (let l = 0; l < lanes; l++) {
    out.push(`<text class="lane" x="4" y="${AXIS_H + l * ROW_H + BAR_H - 4}">job ${l + 1}</text>`);
  }
  for (const b of bars) {
    const w = Math.max(1, x(b.end) - x(b.start));
    const cls = `bar ${b.step.kind} o-${b.step.outcome}${critical.has(b.index) ? ' critical' : ''}`;
    const tip = escapeHtml(tooltipText(b.step));
    out.push(
      `<rect class="${cls}" data-step="${b.index}" x="${x(b.start).toFixed(1)}" y="${AXIS_H + b.lane * ROW_H}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${OUTCOME_COLOURS[b.step.outcome]}"><title>${tip}</title></rect>`,
    );
  }
  out.push('</svg>');
  return out.join('\n');
}

function legend(): string {
  const items = (['compiled', 'cached', 'linked', 'failed', 'skipped'] as const).map(
    (o) => `<span class="key"><span class="swatch" style="background:${OUTCOME_COLOURS[o]}"></span>${o === 'skipped' ? 'not built (stopped)' : o}</span>`,
  );
  items.push('<span class="key"><span class="swatch critical-key"></span>critical path</span>');
  return `<p class="legend">${items.join(' ')}</p>`;
}

function table(head: string[], rows: string[][], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${escapeHtml(empty)}</p>`;
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

function headerTable(hs: HeaderCost[], empty: string): string {
  return table(['header', 'compile time of its includers', 'includers'], hs.slice(0, 10).map((h) => [h.path, secs(h.ms), String(h.includers)]), empty);
}

const STYLE = `
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px; color: #222; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 24px 0 8px; }
.summary { color: #444; margin: 0 0 12px; }
.grid { stroke: #e4e4e4; } .tick, .lane { font-size: 11px; fill: #666; } .tick { text-anchor: middle; }
.bar { stroke: #fff; stroke-width: 0.5; } .bar:hover { opacity: 0.8; }
.bar.critical { stroke: #f28e2b; stroke-width: 2.5; }
.legend .key { margin-right: 14px; white-space: nowrap; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -1px; }
.critical-key { border: 2.5px solid #f28e2b; width: 8px; height: 8px; }
table { border-collapse: collapse; } td, th { padding: 2px 12px 2px 0; text-align: left; } td:not(:last-child) { white-space: nowrap; } th { border-bottom: 1px solid #ccc; }
td:nth-child(2) { font-variant-numeric: tabular-nums; }
#tip { position: fixed; display: none; pointer-events: none; background: #222; color: #fff; padding: 6px 8px; border-radius: 4px; font-size: 12px; white-space: pre; max-width: 640px; z-index: 1; }
.empty { color: #777; } pre.why { font-size: 12px; }
`;

// Without script, each bar's SVG <title> is its (native, delayed) tooltip. With it, the
// title moves to an aria-label, so only this tooltip shows: at once, by the mouse.
const SCRIPT = `
(function () {
  var tip = document.getElementById('tip');
  document.querySelectorAll('#timeline .bar').forEach(function (bar) {
    var title = bar.querySelector('title');
    var text = title ? title.textContent : '';
    if (title) title.remove();
    bar.setAttribute('aria-label', text);
    bar.addEventListener('mousemove', function (e) {
      tip.textContent = text;
      tip.style.display = 'block';
      tip.style.left = Math.min(e.clientX + 12, window.innerWidth - tip.offsetWidth - 8) + 'px';
      tip.style.top = (e.clientY + 14) + 'px';
    });
    bar.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
  });
})();
`;

export function renderReportHtml(trace: BuildTrace): string {
  const bars = barsOf(trace);
  const path = criticalPath(trace);
  const c = counts(trace);
  const hits = hitRate(trace);
  const rate = hits.rate === null ? 'no TU rebuilt' : `${Math.round(hits.rate * 100)}% (${hits.cached} of ${hits.cached + hits.compiled} rebuilt TUs from the cache)`;
  const summary = [
    `${trace.tus} TUs: ${c.compiled} compiled, ${c.cached} from the cache, ${trace.up_to_date} up to date${c.failed ? `, ${c.failed} failed` : ''}${c.skipped ? `, ${c.skipped} not built` : ''}`,
    `${c.linked} linked`,
    `${trace.jobs} job slots`,
    `hit rate ${rate}`,
  ].join(' · ');
  const critical = path.map((i) => trace.steps[i]!);
  const criticalMs = critical.reduce((n, s) => n + (s.end! - s.start!), 0);
  const slow = slowestTus(trace).map((b) => [b.step.name, secs(b.end - b.start), b.step.reason ? reasonText(b.step.reason) : '', outcomeText(b.step, false)]);
  const title = `replibuild build ${trace.id}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}${trace.ok ? '' : ' — failed'}</h1>
<p class="summary">${escapeHtml(traceHeading(trace))}${trace.error ? `<br>${escapeHtml(trace.error)}` : ''}<br>${escapeHtml(summary)}</p>
<h2>Job lanes</h2>
${bars.length ? timeline(trace, bars, new Set(path)) : `<p class="empty">Nothing ran in this build: ${trace.ok ? 'every TU and output was up to date' : 'it stopped first'}.</p>`}
${legend()}
<h2>Critical path (${secs(criticalMs)} of ${trace.seconds.toFixed(2)}s)</h2>
${table(['step', 'time', 'what came of it'], critical.map((s) => [s.name, secs(s.end! - s.start!), outcomeText(s, false)]), 'Nothing ran.')}
<h2>Slowest TUs</h2>
${table(['TU', 'time', 'why it was rebuilt', 'what came of it'], slow, 'No TU was rebuilt.')}
<h2>Precompiled headers</h2>
${table(['target', 'header', 'users', 'its compile', 'saved per full build'], (trace.pchs ?? []).map((u) => [u.target, u.header, String(u.users), u.build_ms !== undefined ? secs(u.build_ms) : 'not yet', u.used ? (u.saved_ms !== undefined ? (u.estimated ? `up to ${secs(u.saved_ms)} (estimated)` : secs(u.saved_ms)) : 'not measured yet') : `not used: ${u.why}`]), 'None: no target has two TUs starting with the same guarded system or third-party includes (or pch = "off").')}
<h2>Headers that cost most</h2>
<p class="summary">The compile time of the TUs of this build that read each header, added up.</p>
${headerTable(trace.header_costs.project, 'No project header was read by a rebuilt TU.')}
<details><summary>Outside the project (system, SDKs)</summary>
${headerTable(trace.header_costs.external, 'None.')}
</details>
<h2>Why each step ran</h2>
<pre class="why">${escapeHtml(trace.steps.map(explainLine).join('\n') || 'nothing was rebuilt')}</pre>
<div id="tip" role="tooltip"></div>
<script>${SCRIPT}</script>
</body></html>
`;
}
