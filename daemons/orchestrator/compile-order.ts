// Which dirty TU to start first. With N slots, a build whose slowest TU starts
// last ends with that TU running alone while the other slots idle; starting the
// work that holds up the end first (list scheduling by longest remaining path)
// keeps every slot busy until near the end.
//
// A TU's remaining path is its own compile time (last recorded, compile_ms; this plan's mean
// of the recorded ones where it has none) plus the longest chain of links that
// wait for it: its target's link, then the links that need that output, and so
// on (their last recorded link times, link_ms). Ties, e.g. a cold build that knows no
// times, go to the TU with more links after it, then to plan order (which already
// puts libraries before the programs that link them).

import type { TargetKind } from '../../config/types.js';
import type { BuildStateReader } from './build-state.js';

export interface OrderTu {
  object: string;
  target: string;
  dirty: boolean;
}

export interface OrderTarget {
  name: string;
  kind: TargetKind;
  link_deps: readonly string[];
}

interface Tail {
  ms: number;
  links: number;
}

/** The dirty TUs of `tus`, in the order to start them. */
export function longestWorkFirst<T extends OrderTu>(tus: readonly T[], targets: readonly OrderTarget[], state: Pick<BuildStateReader, 'getObject' | 'getLink'>): T[] {
  const compileMs = (object: string) => state.getObject(object)?.compile_ms;
  const dirty = tus.filter((u) => u.dirty);
  const known = dirty.map((u) => compileMs(u.object)).filter((v): v is number => v !== undefined);
  const mean = known.length ? known.reduce((a, b) => a + b, 0) / known.length : 0;

  // Who waits for a target's link: the same rule as the engine's (a static
  // library's archive waits for nothing but its own objects).
  const waiters = new Map<string, string[]>();
  for (const t of targets) {
    if (t.kind === 'static') continue;
    for (const d of t.link_deps) {
      const w = waiters.get(d);
      if (w) w.push(t.name);
      else waiters.set(d, [t.name]);
    }
  }
  const tails = new Map<string, Tail>();
  const tail = (name: string, visiting: Set<string>): Tail => {
    const done = tails.get(name);
    if (done) return done;
    // The config refuses cycles; this only keeps a bad graph from recursing forever.
    if (visiting.has(name)) return { ms: 0, links: 0 };
    visiting.add(name);
    let after: Tail = { ms: 0, links: 0 };
    for (const w of waiters.get(name) ?? []) {
      const t = tail(w, visiting);
      if (t.ms > after.ms || (t.ms === after.ms && t.links > after.links)) after = t;
    }
    visiting.delete(name);
    const own = { ms: (state.getLink(name)?.link_ms ?? 0) + after.ms, links: 1 + after.links };
    tails.set(name, own);
    return own;
  };

  const keyed = dirty.map((u, i) => {
    const t = tail(u.target, new Set());
    return { u, i, ms: (compileMs(u.object) ?? mean) + t.ms, links: t.links };
  });
  keyed.sort((a, b) => b.ms - a.ms || b.links - a.links || a.i - b.i);
  return keyed.map((k) => k.u);
}
