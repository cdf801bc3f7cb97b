// The measuring loop shared by every suite: a scenario is run `reps` times,
// each rep once per tool (interleaved, the order rotated each rep, so a busy
// spell of this noisy machine does not land on one tool), with an untimed step
// before each build (an edit, an rm -rf) and a correctness check after it.
import { loadavg } from 'node:os';
import { summarize } from './stats.mjs';

/**
 * @param builders adapters from builders.mjs (each with .model where verify needs it)
 * @param spec {name, reps, repsFor?(tool) (fewer reps for some tools), before?(b, rep),
 *              verify(b) -> {correct, got?, want?}}
 * @returns {tool: {samples, summary}} (and {unavailable} for tools that did not run)
 */
export async function measureScenario(builders, spec, log) {
  const out = {};
  const live = builders.filter((b) => {
    if (b.unavailable) out[b.tool] = { unavailable: b.unavailable, samples: [], summary: summarize([]) };
    return !b.unavailable;
  });
  for (const b of live) out[b.tool] = { samples: [] };
  for (let rep = 0; rep < spec.reps; rep++) {
    const order = live.map((_, i) => live[(i + rep) % live.length]);
    for (const b of order) {
      if (b.unavailable || (spec.repsFor && rep >= spec.repsFor(b.tool))) continue;
      let sample;
      const load = loadavg()[0];
      try {
        if (spec.before) await spec.before(b, rep);
        sample = await b.build(spec.name);
        if (sample.ok) Object.assign(sample, spec.verify(b));
      } catch (e) {
        sample = { ok: false, seconds: null, error: e.message };
      }
      sample.load1 = Number(load.toFixed(2));
      out[b.tool].samples.push(sample);
      if (sample.timedOut) {
        // Out of time budget: this tool is done for this tree (and its daemons, which
        // would go on building after the client was killed, are stopped now).
        b.unavailable = `${spec.name} build ${sample.error}`;
        await b.teardown?.();
      }
      const what = !sample.ok ? `FAILED: ${sample.error ?? ''} ${sample.tail ?? ''}`.trim() : sample.correct === false ? `WRONG OUTPUT (got ${sample.got}, want ${sample.want})` : 'ok';
      const counts = sample.summary ? ` [compiled ${sample.summary.compiled}, cached ${sample.summary.cached}, up-to-date ${sample.summary.upToDate}, linked ${sample.summary.linked}]` : '';
      log(`  ${spec.name} #${rep + 1} ${b.label}: ${sample.seconds == null ? '-' : sample.seconds.toFixed(3) + ' s'} ${what}${counts}`);
    }
  }
  for (const b of live) {
    out[b.tool].summary = summarize(out[b.tool].samples);
    if (b.unavailable) out[b.tool].unavailable = b.unavailable;
  }
  return out;
}
