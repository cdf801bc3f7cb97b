// Medians and ranges of timing samples, and ratios between tools.

export function median(xs) {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Summary of a list of samples ({ok, seconds, correct, ...}): only good samples are timed. */
export function summarize(samples) {
  const good = samples.filter((s) => s.ok && s.correct !== false).map((s) => s.seconds);
  return {
    n: samples.length,
    good: good.length,
    failed: samples.length - good.length,
    median: median(good),
    min: good.length ? Math.min(...good) : null,
    max: good.length ? Math.max(...good) : null,
  };
}

/** a ÷ b of two medians, or null when either is missing. */
export function ratio(a, b) {
  if (a == null || b == null || b === 0) return null;
  return a / b;
}

export function fmtSeconds(s) {
  if (s == null) return '—';
  if (s < 1) return `${(s * 1000).toFixed(s < 0.1 ? 1 : 0)} ms`;
  if (s < 100) return `${s.toFixed(2)} s`;
  return `${s.toFixed(0)} s`;
}

export function fmtRatio(r) {
  if (r == null) return '—';
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

export function fmtBytes(b) {
  if (b == null) return '—';
  return `${(b / 1048576).toFixed(1)} MB`;
}
