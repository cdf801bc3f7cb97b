// Ordering of the target dependency graph: what is built first, and in which
// order libraries go on a link line. Pure functions over names, so the rules can
// be tested without files.

/** Target name → its direct deps (known targets only), in the order the toml lists them. */
export type DepGraph = ReadonlyMap<string, readonly string[]>;

/**
 * Dependency cycles, each written as a closed walk: ["a", "b", "a"]. Each back edge
 * of a depth-first search gives one, rotated to start at the target that comes first
 * in the graph's order, so the same cycle is reported once and the same way each run.
 */
export function findCycles(graph: DepGraph): string[][] {
  const order = [...graph.keys()];
  const rank = new Map(order.map((n, i) => [n, i]));
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const found = new Map<string, string[]>();

  const visit = (name: string): void => {
    state.set(name, 'active');
    stack.push(name);
    for (const dep of graph.get(name) ?? []) {
      const s = state.get(dep);
      if (s === 'active') {
        const ring = stack.slice(stack.indexOf(dep));
        const start = ring.reduce((best, n, i) => (rank.get(n)! < rank.get(ring[best]!)! ? i : best), 0);
        const rotated = [...ring.slice(start), ...ring.slice(0, start)];
        const key = rotated.join('\u0000');
        if (!found.has(key)) found.set(key, [...rotated, rotated[0]!]);
      } else if (s === undefined && graph.has(dep)) {
        visit(dep);
      }
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of order) if (!state.has(name)) visit(name);
  return [...found.values()];
}

/**
 * Build order: every target after its deps; otherwise the graph's own (file) order,
 * so editing one target's deps does not reshuffle the rest. The graph must be acyclic;
 * targets caught in a cycle are appended in file order rather than dropped.
 */
export function topologicalOrder(graph: DepGraph): string[] {
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const [name, deps] of graph) {
    const known = unique(deps.filter((d) => graph.has(d)));
    pending.set(name, known.length);
    for (const d of known) dependents.set(d, [...(dependents.get(d) ?? []), name]);
  }
  return kahn([...graph.keys()], pending, dependents);
}

/**
 * Every target `name` links, transitively, in static link order: a library always
 * before the libraries it uses (the linker resolves symbols left to right). Among
 * libraries free to go either way, the order they are first reached through the deps
 * lists is kept, so `deps = ["a", "b"]` links a before b.
 */
export function linkOrder(name: string, graph: DepGraph): string[] {
  const reached: string[] = [];
  const seen = new Set<string>([name]);
  const reach = (from: string): void => {
    for (const dep of graph.get(from) ?? []) {
      if (seen.has(dep) || !graph.has(dep)) continue;
      seen.add(dep);
      reached.push(dep);
      reach(dep);
    }
  };
  reach(name);

  // Reverse edges within the closure: a library is ready once all its users are
  // placed. `name` itself counts as placed already.
  const pending = new Map<string, number>(reached.map((n) => [n, 0]));
  const unblocks = new Map<string, string[]>();
  for (const user of reached) {
    for (const dep of unique(graph.get(user) ?? [])) {
      if (!pending.has(dep)) continue;
      pending.set(dep, pending.get(dep)! + 1);
      unblocks.set(user, [...(unblocks.get(user) ?? []), dep]);
    }
  }
  return kahn(reached, pending, unblocks);
}

/**
 * Kahn's algorithm, always taking the earliest ready node in `order`. `pending` counts
 * unplaced predecessors; `next` lists the nodes each one unblocks. Leftovers (a cycle)
 * are appended in `order`.
 */
function kahn(order: string[], pending: Map<string, number>, next: Map<string, string[]>): string[] {
  const out: string[] = [];
  const placed = new Set<string>();
  for (;;) {
    const ready = order.find((n) => !placed.has(n) && pending.get(n) === 0);
    if (ready === undefined) break;
    placed.add(ready);
    out.push(ready);
    for (const n of next.get(ready) ?? []) pending.set(n, pending.get(n)! - 1);
  }
  for (const n of order) if (!placed.has(n)) out.push(n);
  return out;
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}
