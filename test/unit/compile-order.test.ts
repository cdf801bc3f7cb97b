// The order dirty TUs start in: the longest remaining work first (own recorded
// compile time + the longest chain of recorded link times waiting on it), then
// more links after it, then plan order; read from a build state as saved on disk.
import { describe, expect, it } from 'vitest';
import { longestWorkFirst, type OrderTarget } from '../../daemons/orchestrator/compile-order.js';
import { parseBuildState, serializeBuildState, type BuildStateData, type ObjectRecord } from '../../daemons/orchestrator/build-state.js';

const obj = (compile_ms?: number): ObjectRecord => ({
  command_hash: 'c',
  source: 's.cpp',
  source_hash: 'h',
  headers: [],
  ...(compile_ms !== undefined ? { compile_ms } : {}),
});
const link = (link_ms?: number) => ({ command_hash: 'c', output: 'out', inputs: [], ...(link_ms !== undefined ? { link_ms } : {}) });

/** The state as the next process reads it: through the file format, so the times must survive it. */
function recorded(data: Omit<BuildStateData, 'version'>) {
  const d = parseBuildState(serializeBuildState({ version: 2, ...data }));
  return { getObject: (o: string) => d.objects[o], getLink: (t: string) => d.links[t] };
}

const tu = (object: string, target: string, dirty = true) => ({ object, target, dirty });
const order = (tus: ReturnType<typeof tu>[], targets: OrderTarget[], state: ReturnType<typeof recorded>) =>
  longestWorkFirst(tus, targets, state).map((u) => u.object);

describe('longest work first', () => {
  const flat: OrderTarget[] = [{ name: 'app', kind: 'executable', link_deps: [] }];

  it('starts the TUs that took longest last time first, and only the dirty ones', () => {
    const state = recorded({ objects: { 'a.o': obj(100), 'b.o': obj(900), 'c.o': obj(400), 'd.o': obj(5000) }, links: {} });
    const tus = [tu('a.o', 'app'), tu('b.o', 'app'), tu('c.o', 'app'), tu('d.o', 'app', false)];
    expect(order(tus, flat, state)).toEqual(['b.o', 'c.o', 'a.o']);
  });

  it('counts a TU never timed at the mean of the recorded ones', () => {
    const state = recorded({ objects: { 'a.o': obj(100), 'b.o': obj(900) }, links: {} });
    // mean 500: n.o goes between b (900) and a (100).
    expect(order([tu('a.o', 'app'), tu('n.o', 'app'), tu('b.o', 'app')], flat, state)).toEqual(['b.o', 'n.o', 'a.o']);
  });

  it('adds the longest chain of links that wait on the TU', () => {
    // core (shared) <- mid (shared) <- app: a core TU holds up three links in a row.
    const targets: OrderTarget[] = [
      { name: 'core', kind: 'shared', link_deps: [] },
      { name: 'mid', kind: 'shared', link_deps: ['core'] },
      { name: 'app', kind: 'executable', link_deps: ['mid', 'core'] },
      { name: 'tool', kind: 'executable', link_deps: [] },
    ];
    const state = recorded({
      objects: { 'core.o': obj(300), 'mid.o': obj(500), 'app.o': obj(650), 'tool.o': obj(700) },
      links: { core: link(100), mid: link(100), app: link(100), tool: link(10) },
    });
    const tus = [tu('tool.o', 'tool'), tu('app.o', 'app'), tu('mid.o', 'mid'), tu('core.o', 'core')];
    // core 300+300, mid 500+200, app 650+100, tool 700+10.
    expect(order(tus, targets, state)).toEqual(['app.o', 'tool.o', 'mid.o', 'core.o']);
  });

  it("a static library's archive waits for nothing, so it lengthens no chain", () => {
    const targets: OrderTarget[] = [
      { name: 'base', kind: 'static', link_deps: [] },
      { name: 'lib', kind: 'static', link_deps: ['base'] },
      { name: 'app', kind: 'executable', link_deps: ['lib', 'base'] },
    ];
    const state = recorded({ objects: {}, links: { base: link(50), lib: link(1000), app: link(100) } });
    // The engine archives lib without waiting for base: base's chain is base + app (150),
    // lib's is lib + app (1100), app's own 100.
    expect(order([tu('app.o', 'app'), tu('base.o', 'base'), tu('lib.o', 'lib')], targets, state)).toEqual(['lib.o', 'base.o', 'app.o']);
  });

  it('knowing no times (a first cold build), puts TUs with more links after them first, then keeps plan order', () => {
    const targets: OrderTarget[] = [
      { name: 'core', kind: 'shared', link_deps: [] },
      { name: 'app', kind: 'executable', link_deps: ['core'] },
    ];
    const state = recorded({ objects: {}, links: {} });
    const tus = [tu('app1.o', 'app'), tu('core1.o', 'core'), tu('app2.o', 'app'), tu('core2.o', 'core')];
    expect(order(tus, targets, state)).toEqual(['core1.o', 'core2.o', 'app1.o', 'app2.o']);
  });
});
