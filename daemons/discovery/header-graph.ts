// Which sources read which headers, from the compilers' own depfiles: the reverse
// map answers "a header changed, which TUs are dirty" without touching the sources,
// and the basename map answers "a new file may shadow a header some TU included".

import { posix } from 'node:path';

export class HeaderGraph {
  private readonly fwd = new Map<string, string[]>();
  private readonly rev = new Map<string, Set<string>>();
  private readonly byBase = new Map<string, Set<string>>();

  static fromJSON(deps: Record<string, string[]>): HeaderGraph {
    const g = new HeaderGraph();
    for (const [src, headers] of Object.entries(deps)) g.record(src, headers);
    return g;
  }

  toJSON(): Record<string, string[]> {
    return Object.fromEntries(this.fwd);
  }

  get sourceCount(): number {
    return this.fwd.size;
  }

  /** Replaces what `source` included last time; an empty list forgets the source. */
  record(source: string, headers: readonly string[]): void {
    this.forget(source);
    const unique = [...new Set(headers)].filter((h) => h !== source);
    if (unique.length === 0) return;
    this.fwd.set(source, unique);
    for (const h of unique) {
      let s = this.rev.get(h);
      if (!s) {
        this.rev.set(h, (s = new Set()));
        addTo(this.byBase, posix.basename(h), h);
      }
      s.add(source);
    }
  }

  forget(source: string): void {
    const old = this.fwd.get(source);
    if (!old) return;
    this.fwd.delete(source);
    for (const h of old) {
      const s = this.rev.get(h);
      if (!s) continue;
      s.delete(source);
      if (s.size === 0) {
        this.rev.delete(h);
        removeFrom(this.byBase, posix.basename(h), h);
      }
    }
  }

  headersOf(source: string): readonly string[] {
    return this.fwd.get(source) ?? [];
  }

  /** Sources affected by changes to `paths`: those that included one of them, and any
   *  of the paths that is itself a recorded source. Sorted. */
  dependents(paths: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const p of paths) {
      if (this.fwd.has(p)) out.add(p);
      for (const s of this.rev.get(p) ?? []) out.add(s);
    }
    return [...out].sort();
  }

  /** Sources that included a header with the same basename as `added`. Over-approximates
   *  on purpose: which directory wins depends on the include path, which the planner knows. */
  shadowedBy(added: string): string[] {
    const out = new Set<string>();
    for (const h of this.byBase.get(posix.basename(added)) ?? []) {
      for (const s of this.rev.get(h) ?? []) out.add(s);
    }
    return [...out].sort();
  }

  shadowCandidates(addedPaths: Iterable<string>): string[] {
    const out = new Set<string>();
    for (const a of addedPaths) for (const s of this.shadowedBy(a)) out.add(s);
    return [...out].sort();
  }
}

function addTo(m: Map<string, Set<string>>, k: string, v: string): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom(m: Map<string, Set<string>>, k: string, v: string): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}
