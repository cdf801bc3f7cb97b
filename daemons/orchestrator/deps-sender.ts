// Tells discovery which headers each TU read, from the build state, so that it can name
// the sources a new shadowing header affects (ChangesResult.shadowing). Part of a build's
// after-work: only speed and the shadowing's reach depend on when it lands.
import type { ProjectConfig } from '../../config/types.js';
import type { DepsEntry } from '../../protocol/discovery.js';
import { objectPathFor } from '../../toolchain/compile-args.js';
import type { BuildGate } from './build-gate.js';
import type { BuildStateReader } from './build-state.js';

/** Sources per recordDeps request: a no-op right after a cold build waits in discovery
 *  behind one request at most (and the next is sent only once it is answered: BuildGate). */
export const DEPS_BATCH = 250;

/** `compiled`: the `${target}\0${source}` of the TUs to send; null, every TU of the config. */
export async function sendDeps(
  discovery: { recordDeps(entries: DepsEntry[]): Promise<void> },
  state: BuildStateReader,
  config: ProjectConfig,
  compiled: ReadonlySet<string> | null,
  gate: BuildGate,
): Promise<void> {
  // In requests of DEPS_BATCH sources, one after another: a cold build's whole list is
  // one message of megabytes at 20,000 TUs, made, sent and parsed at once on both sides.
  // Each waits for the gate: a build that comes meanwhile goes first.
  let entries: DepsEntry[] = [];
  const send = async () => {
    await gate.open();
    await discovery.recordDeps(entries);
    entries = [];
  };
  for (const t of config.targets) {
    for (const source of t.sources) {
      if (compiled && !compiled.has(`${t.name}\0${source}`)) continue;
      const rec = state.getObject(objectPathFor(t, source));
      if (rec) entries.push({ source, headers: rec.headers.map((h) => h.path) });
      if (entries.length === DEPS_BATCH) await send();
    }
  }
  if (entries.length) await send();
}
