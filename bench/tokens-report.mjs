// The token-neutral edit suite (tokens.mjs) in BENCHMARKS.md and among the targets.
import { scenarioTable } from './report.mjs';
import { fmtBytes, fmtRatio, fmtSeconds, ratio } from './stats.mjs';

const TITLES = { plain: 'without -g', debug: 'with -g' };
const med = (row, tool) => row?.scenarios?.['comment-longer']?.[tool]?.summary?.median ?? null;

/** Issue 16: a comment reworded longer on its own line is at most ccache's time, -g and not. */
export function tokensTargets(tokens) {
  if (!tokens || tokens.error) return [];
  return Object.entries(tokens.variants ?? {}).map(([variant, row]) => {
    const a = med(row, 'rb-daemon');
    const b = med(row, 'ccache');
    const target = `issue 16: a comment reworded longer on its own line of a header ${tokens.n} TUs include (${TITLES[variant] ?? variant}) at most make + ccache's time`;
    if (a == null || b == null) return { id: `tokens-${variant}`, target, status: 'not measured', measured: 'no figures for both' };
    return { id: `tokens-${variant}`, target, status: a <= b ? 'met' : 'missed', measured: `replibuild ${fmtSeconds(a)} vs ccache ${fmtSeconds(b)}: ${fmtRatio(ratio(a, b))}` };
  });
}

export function tokensSection(tokens) {
  const L = [`## Token-neutral edits: a comment reworded longer, on its own line of a header ${tokens.n ?? '?'} TUs include`, ''];
  if (tokens.error) return [...L, `The suite failed: ${tokens.error}`, ''].join('\n');
  L.push(
    'bench/tokens.mjs: a heavy tree whose every TU includes config.hpp; its first line, a comment, is reworded longer before each run (no token moves: ' +
      'replibuild serves it in direct mode, ccache in preprocessor mode, which runs the preprocessor on every TU). ' +
      'make relinks the program after ccache; replibuild finds the restored objects identical and does not. ' +
      'The floor: writing the objects a hit restores (same sizes, no fsync), at this disk\'s speed. ' +
      'The machine is shared with other work: compare the two tools within one table (same run, interleaved), not across runs.',
    '',
  );
  for (const [variant, row] of Object.entries(tokens.variants ?? {})) {
    L.push(`### ${TITLES[variant] ?? variant} (${row.flags.join(' ')})`, '');
    L.push(scenarioTable(row.scenarios['comment-longer'], tokens.tools), '');
    if (row.floor) {
      const a = med(row, 'rb-daemon');
      L.push(`Floor: ${row.floor.files} objects, ${fmtBytes(row.floor.bytes)}, written in ${fmtSeconds(row.floor.seconds)}${a ? ` (replibuild ÷ floor ${fmtRatio(ratio(a, row.floor.seconds))})` : ''}.`, '');
    }
  }
  return L.join('\n');
}
