// Which sources read which headers, from the compilers' own depfiles: "a header
// changed, which TUs are dirty" without touching the sources, and "a new file may
// shadow a header some TU included" by basename.
//
// Kept compact: a project's sources name the same headers over and over (every TU
// its config header, most of them the same system headers), and the lists arrive as
// fresh strings from each build's depfiles. So each path is one string, named by a
// small integer, and a source's headers are a list of those integers. At 20,000 TUs
// the string-keyed maps and per-source copies of each path took 15 MB of discovery's
// heap. Nothing is kept from header to sources: the queries that need it (a file
// added, dependents) walk the sources' lists, a few integer look-ups per TU, and run
// on a file's appearance, not on every edit.

import { posix } from 'node:path';

export class HeaderGraph {
  /** Path by id, and id by path: one string per path. */
  private paths: string[] = [];
  private ids = new Map<string, number>();
  /** Source id → the ids of the headers it read. */
  private fwd = new IdLists();
  /** Header id → how many sources read it; a header is in `byBase` while read at all. */
  private refs = new Map<number, number>();
  private byBase = new Map<string, Set<number>>();

  static fromJSON(deps: Record<string, string[]>): HeaderGraph {
    const g = new HeaderGraph();
    for (const [src, headers] of Object.entries(deps)) g.record(src, headers);
    return g;
  }

  toJSON(): Record<string, string[]> {
    return Object.fromEntries(this.entries());
  }

  /** Each source with the headers it read (what toJSON holds, one source at a time). */
  *entries(): IterableIterator<[string, string[]]> {
    for (const s of this.fwd.ids()) yield [this.paths[s]!, this.fwd.get(s)!.map((h) => this.paths[h]!)];
  }

  get sourceCount(): number {
    return this.fwd.size;
  }

  /** Replaces what `source` included last time; an empty list forgets the source. */
  record(source: string, headers: readonly string[]): void {
    this.forget(source);
    const unique = [...new Set(headers)].filter((h) => h !== source);
    if (unique.length === 0) return;
    const ids = unique.map((h) => this.idOf(h));
    this.fwd.set(this.idOf(source), ids);
    for (const h of ids) {
      const n = this.refs.get(h) ?? 0;
      if (n === 0) addTo(this.byBase, posix.basename(this.paths[h]!), h);
      this.refs.set(h, n + 1);
    }
  }

  forget(source: string): void {
    const s = this.ids.get(source);
    const old = s === undefined ? undefined : this.fwd.get(s);
    if (!old) return;
    this.fwd.delete(s!);
    for (const h of old) {
      const n = this.refs.get(h)! - 1;
      if (n > 0) {
        this.refs.set(h, n);
        continue;
      }
      this.refs.delete(h);
      removeFrom(this.byBase, posix.basename(this.paths[h]!), h);
    }
    this.compactIfSparse();
  }

  headersOf(source: string): readonly string[] {
    const s = this.ids.get(source);
    return (s === undefined ? undefined : this.fwd.get(s)?.map((h) => this.paths[h]!)) ?? [];
  }

  /** Sources affected by changes to `paths`: those that included one of them, and any
   *  of the paths that is itself a recorded source. Sorted. */
  dependents(paths: Iterable<string>): string[] {
    const out = new Set<string>();
    const want = new Set<number>();
    for (const p of paths) {
      const id = this.ids.get(p);
      if (id === undefined) continue;
      if (this.fwd.has(id)) out.add(p);
      if (this.refs.has(id)) want.add(id);
    }
    this.addReaders(want, out);
    return [...out].sort();
  }

  /** Sources that included a header with the same basename as `added`. Over-approximates
   *  on purpose: which directory wins depends on the include path, which the planner knows. */
  shadowedBy(added: string): string[] {
    return this.shadowCandidates([added]);
  }

  shadowCandidates(addedPaths: Iterable<string>): string[] {
    const want = new Set<number>();
    for (const a of addedPaths) for (const h of this.byBase.get(posix.basename(a)) ?? []) want.add(h);
    const out = new Set<string>();
    this.addReaders(want, out);
    return [...out].sort();
  }

  /** Adds to `out` every source that read one of the headers `want`. */
  private addReaders(want: ReadonlySet<number>, out: Set<string>): void {
    if (want.size === 0) return;
    for (const s of this.fwd.ids()) if (this.fwd.some(s, want)) out.add(this.paths[s]!);
  }

  private idOf(path: string): number {
    let id = this.ids.get(path);
    if (id === undefined) {
      id = this.paths.length;
      this.paths.push(path);
      this.ids.set(path, id);
    }
    return id;
  }

  /** Ids are not reused: once most of them name paths nothing refers to any more
   *  (sources and headers renamed or gone), the tables are built again from what is. */
  private compactIfSparse(): void {
    if (this.paths.length < 1024 || this.paths.length < 2 * (this.fwd.size + this.refs.size)) return;
    const deps = this.toJSON();
    this.paths = [];
    this.ids = new Map();
    this.fwd = new IdLists();
    this.refs = new Map();
    this.byBase = new Map();
    for (const [src, headers] of Object.entries(deps)) this.record(src, headers);
  }
}

/** Lists of ids by id, end to end in one Uint32Array: a JS array per source and a Map entry
 *  to find it were ~70 bytes each beside the ids (20,000 sources at 20,000 TUs, kept as
 *  long as discovery). A replaced list leaves a hole, reclaimed once holes are most of it. */
class IdLists {
  private pool = new Uint32Array(1024);
  private end = 0;
  private live = 0;
  /** By id: where its list starts in `pool` (-1: none), and how long it is. */
  private start = new Int32Array(0);
  private length = new Uint32Array(0);
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(id: number): boolean {
    return id < this.start.length && this.start[id]! >= 0;
  }

  get(id: number): number[] | undefined {
    if (!this.has(id)) return undefined;
    const at = this.start[id]!;
    return Array.from(this.pool.subarray(at, at + this.length[id]!));
  }

  /** Does the list of `id` hold one of `want`? */
  some(id: number, want: ReadonlySet<number>): boolean {
    const at = this.start[id]!;
    for (let i = at, end = at + this.length[id]!; i < end; i++) if (want.has(this.pool[i]!)) return true;
    return false;
  }

  /** The ids that have a list, in id order. */
  *ids(): IterableIterator<number> {
    for (let id = 0; id < this.start.length; id++) if (this.start[id]! >= 0) yield id;
  }

  set(id: number, list: readonly number[]): void {
    this.delete(id);
    if (id >= this.start.length) this.growIds(id + 1);
    if (this.end + list.length > this.pool.length) this.makeRoom(list.length);
    this.pool.set(list, this.end);
    this.start[id] = this.end;
    this.length[id] = list.length;
    this.end += list.length;
    this.live += list.length;
    this.count++;
  }

  delete(id: number): void {
    if (!this.has(id)) return;
    this.live -= this.length[id]!;
    this.start[id] = -1;
    this.length[id] = 0;
    this.count--;
  }

  private growIds(n: number): void {
    const cap = Math.max(n, 256, Math.ceil(this.start.length * 1.5));
    const start = new Int32Array(cap).fill(-1);
    start.set(this.start);
    this.start = start;
    const length = new Uint32Array(cap);
    length.set(this.length);
    this.length = length;
  }

  /** Room for `n` more ids at the end: the holes squeezed out, then the pool grown if need be. */
  private makeRoom(n: number): void {
    const need = this.live + n;
    const cap = this.end - this.live > this.live ? Math.max(this.pool.length, need) : Math.max(need, Math.ceil(this.pool.length * 1.5));
    const pool = new Uint32Array(cap);
    let end = 0;
    for (const id of this.ids()) {
      const at = this.start[id]!;
      const len = this.length[id]!;
      pool.set(this.pool.subarray(at, at + len), end);
      this.start[id] = end;
      end += len;
    }
    this.pool = pool;
    this.end = end;
  }
}

function addTo(m: Map<string, Set<number>>, k: string, v: number): void {
  let s = m.get(k);
  if (!s) m.set(k, (s = new Set()));
  s.add(v);
}

function removeFrom(m: Map<string, Set<number>>, k: string, v: number): void {
  const s = m.get(k);
  if (!s) return;
  s.delete(v);
  if (s.size === 0) m.delete(k);
}
