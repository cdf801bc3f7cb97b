// Issue 16's token-neutral edit: a comment on its own line of the config header that
// every TU includes is reworded longer than before (no token moves), on a 40-TU heavy
// tree built without and with -g, replibuild against make + ccache in one run. Both
// should serve every TU from their caches (replibuild in direct mode, ccache in
// preprocessor mode). The floor beside them: writing the objects a hit restores, at
// this disk's speed.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir } from './cleanup.mjs';
import { generateProject } from './generate.mjs';
import { measureScenario } from './measure.mjs';
import { makeBuilders, teardownAll, verifyProgram } from './scenarios.mjs';
import { outputBytes, writeFloor } from './second-machine.mjs';

export const TOKENS_N = 40;
export const TOKENS_TOOLS = ['rb-daemon', 'ccache'];
export const TOKENS_VARIANTS = { plain: ['-O2'], debug: ['-O2', '-g'] };

/** The config header with its first line's comment reworded: `rep` + 1 phrases long,
 *  so every edit is longer than the one before; #pragma and #define keep their lines. */
function rewordComment(model, rep) {
  const words = Array.from({ length: rep + 1 }, (_, i) => `reworded for the ${i + 1}. time`).join(', ');
  const text = `// bench config header, included by every translation unit (${words})\n#pragma once\n#define BENCH_CONFIG ${model.state.config}\n`;
  writeFileSync(join(model.dir, 'include', 'config.hpp'), text);
}

/** {variant: {flags, scenarios: {cold, 'comment-longer'}, floor}} */
export async function runTokens(opts) {
  const { log } = opts;
  const result = { n: TOKENS_N, tools: TOKENS_TOOLS, variants: {} };
  for (const [variant, flags] of Object.entries(TOKENS_VARIANTS)) {
    const baseDir = join(opts.tmp, `tokens-${variant}-base`);
    const model = generateProject(baseDir, { n: TOKENS_N, variant: 'heavy', jobs: opts.jobs, flags });
    log(`tokens (${flags.join(' ')}): ${TOKENS_N} TUs, all including config.hpp`);
    const builders = await makeBuilders(TOKENS_TOOLS, model, opts, `tokens-${variant}`);
    removeDir(baseDir);
    const row = { flags, scenarios: {}, floor: null };
    try {
      row.scenarios.cold = await measureScenario(builders, { name: 'cold', reps: 1, verify: verifyProgram }, log);
      row.scenarios['comment-longer'] = await measureScenario(
        builders,
        { name: 'comment-longer', reps: opts.reps, before: (b, rep) => rewordComment(b.model, rep), verify: verifyProgram },
        log,
      );
      const rb = builders.find((b) => b.tool === 'rb-daemon' && !b.unavailable);
      if (rb) row.floor = writeFloor(opts.tmp, outputBytes(join(rb.dir, 'build')));
    } finally {
      await teardownAll(builders);
    }
    result.variants[variant] = row;
  }
  return result;
}
