// Issue 16's no-op floor: `node -e 0`, timed side by side with the no-op builds of
// the scaling suite (interleaved with them, in the same run, so the machine's load
// hits both alike). A CLI written in Node cannot answer faster than Node starts;
// the target is replibuild's no-op within 1.6× of that, at 20 and 20,000 TUs.
// Started without NODE_EXTRA_CA_CERTS, as bin/replibuild starts the CLI.
import { timed } from './exec.mjs';
import { fmtRatio, fmtSeconds, ratio } from './stats.mjs';

export const FLOOR_TOOL = 'node-floor';
export const FLOOR_LABEL = '`node -e 0` (floor)';
/** The target: replibuild's no-op at most this many times the floor. */
export const FLOOR_TARGET = 1.6;
/** The replibuild modes compared with the floor (whichever ran). */
const MODES = ['rb-daemon', 'rb-local'];

/** A builder (bench/builders.mjs's shape) whose "build" is `node -e 0`. */
export function nodeFloorBuilder(ctx) {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  return {
    tool: FLOOR_TOOL,
    label: FLOOR_LABEL,
    unavailable: null,
    floor: true,
    async build(what = 'floor') {
      const r = await timed(process.execPath, ['-e', '0'], { cwd: ctx.tmp, env, logDir: ctx.logDir, label: `node-floor-${what}` });
      return { ok: r.ok, seconds: r.seconds, error: r.error, tail: r.ok ? undefined : r.tail };
    },
  };
}

/** Nothing to check in a floor's output; the scenario's verify is for builds. */
export function verifyUnlessFloor(verify) {
  return (b) => (b.floor ? {} : verify(b));
}

const med = (row, tool) => row?.noop?.[tool]?.summary?.median ?? null;

/** The markdown table: each size's no-op per mode, the floor, and the ratio. */
export function noopFloorTable(scaling) {
  const sizes = Object.keys(scaling?.sizes ?? {}).map(Number).sort((a, b) => a - b).filter((n) => med(scaling.sizes[n], FLOOR_TOOL) != null);
  if (!sizes.length) return '';
  const modes = MODES.filter((m) => sizes.some((n) => med(scaling.sizes[n], m) != null));
  const L = [`### No-op against the floor: ${FLOOR_LABEL}, timed in the same run (target ≤ ${FLOOR_TARGET}×)\n`];
  const head = ['TUs', FLOOR_LABEL, ...modes.flatMap((m) => [m === 'rb-daemon' ? 'replibuild (daemons)' : 'replibuild --no-daemon', '÷ floor'])];
  L.push(`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`);
  for (const n of sizes) {
    const row = scaling.sizes[n];
    const f = med(row, FLOOR_TOOL);
    L.push(`| ${n.toLocaleString('en-US')} | ${fmtSeconds(f)} | ${modes.flatMap((m) => [fmtSeconds(med(row, m)), fmtRatio(ratio(med(row, m), f))]).join(' | ')} |`);
  }
  L.push('', 'Medians. The machine is shared (other jobs run beside the benchmark), so absolute times are noisy; the ratio, taken from runs interleaved with the floor\'s, is the figure to read.', '');
  return L.join('\n');
}

/** The one-edit row of the scaling suite at this size (tiny variant: the floor is the
 *  compile of one small TU and the link, both timed inside ninja's figure). */
export const EDIT_NEAR_NINJA_TUS = 200;
export const EDIT_NEAR_NINJA_MS = 30;

/** targets.mjs's entries for the floor: replibuild's daemon no-op ≤ 1.6× the floor at each
 *  size; and one edit at 200 TUs ≤ ninja + 30 ms when the scaling suite ran that size
 *  (`--only=scaling --sizes=20,200`: the synthetic suite's heavy 200-TU row is judged in targets.mjs). */
export function floorTargets(results, judge, fmt) {
  const out = [];
  // The run's noise, as targets.mjs takes it: half each row's range over its median.
  const spread = (m) => (m && m.median && m.good >= 2 ? (m.max - m.min) / (2 * m.median) : 0);
  const edit = results.scaling?.sizes?.[EDIT_NEAR_NINJA_TUS]?.['edit-cpp'];
  if (edit) {
    const a = edit['rb-daemon']?.summary?.median ?? null;
    const b = edit.ninja?.summary?.median ?? null;
    const limit = b == null ? null : b + EDIT_NEAR_NINJA_MS / 1000;
    const ok = a != null && limit != null ? a <= limit : null;
    const excess = a != null && limit ? { over: a / limit - 1, noise: spread(edit['rb-daemon']?.summary) + spread(edit.ninja?.summary) } : undefined;
    out.push(judge(`edit-cpp-${EDIT_NEAR_NINJA_TUS}-tiny`, `issue 16: one-file edit at ${EDIT_NEAR_NINJA_TUS} TUs (scaling suite, tiny TUs) no slower than ninja's + ${EDIT_NEAR_NINJA_MS} ms`, `replibuild ${fmt(a)} vs ninja ${fmt(b)} (+${EDIT_NEAR_NINJA_MS} ms = ${fmt(limit)})`, ok, 'no one-edit figures for both', excess));
  }
  for (const [n, row] of Object.entries(results.scaling?.sizes ?? {})) {
    const f = med(row, FLOOR_TOOL);
    if (f == null) continue;
    const a = med(row, 'rb-daemon');
    const ok = a != null ? a <= f * FLOOR_TARGET : null;
    const excess = a != null ? { over: a / (f * FLOOR_TARGET) - 1, noise: spread(row.noop?.['rb-daemon']?.summary) + spread(row.noop?.[FLOOR_TOOL]?.summary) } : undefined;
    out.push(judge(`noop-floor-${n}`, `no-op at ${Number(n).toLocaleString('en-US')} TUs within ${FLOOR_TARGET}× of \`node -e 0\``, `replibuild ${fmt(a)} vs node ${fmt(f)}: ${a == null ? '—' : `${(a / f).toFixed(2)}×`}`, ok, 'no daemon no-op figure', excess));
  }
  return out;
}
