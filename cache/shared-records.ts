// One shared instance per distinct record, for what the compile daemon keeps decoded
// between builds. Manifests repeat the same records in every TU: the same system and
// project headers with the same hashes and stamps, the same include directories. Each
// manifest decoded from JSON has its own copy of each (measured at 2,000 tiny TUs:
// 15 MB of heap for the manifest memo, about 7.5 KB per TU, nearly all of it copies).
// Kept through one instance, a record costs its memory once and a TU's entry costs
// little more than its arrays of references.
//
// Records are compared by their JSON text (every field, so two records that differ in
// anything stay apart) and must not be changed once shared; the one thing written to
// them afterwards is quick-stat.ts's cache of a derived value under a symbol, which is
// the same for equal records. The table is bounded: past `maxRecords` it starts over
// (instances already shared stay shared; later ones are shared among themselves).

export class SharedRecords {
  private readonly byText = new Map<string, object>();
  private readonly lists = new Map<string, readonly object[]>();
  private readonly textMap = new Map<string, string>();
  /** Which instances came from this table, and a short id for keying lists of them. */
  private readonly ids = new WeakMap<object, number>();
  private nextId = 0;

  constructor(private readonly maxRecords = 50_000) {}

  /** The shared instance equal to `r` (`r` itself when it is the first). */
  record<T extends object>(r: T): T {
    if (this.ids.has(r)) return r;
    const text = JSON.stringify(r);
    const known = this.byText.get(text);
    if (known) return known as T;
    if (this.byText.size >= this.maxRecords) this.clear();
    this.byText.set(text, r);
    this.ids.set(r, this.nextId++);
    return r;
  }

  /** `items` as shared records, in a list of its own (one unlikely to repeat). */
  each<T extends object>(items: readonly T[]): T[] {
    return items.length === 0 ? (EMPTY as unknown as T[]) : items.map((r) => this.record(r));
  }

  /** A list of shared records: the shared list equal to `items` (same records in the
   *  same order) when there is one. The result must not be changed. */
  list<T extends object>(items: readonly T[]): T[] {
    if (items.length === 0) return EMPTY as unknown as T[];
    const shared = items.map((r) => this.record(r));
    const key = shared.map((r) => this.ids.get(r)).join(',');
    const known = this.lists.get(key);
    if (known) return known as T[];
    if (this.lists.size >= this.maxRecords) this.lists.clear();
    this.lists.set(key, shared);
    return shared;
  }

  /** The shared instance of a string (a path many results name). */
  text(s: string): string {
    const known = this.textMap.get(s);
    if (known !== undefined) return known;
    if (this.textMap.size >= this.maxRecords) this.textMap.clear();
    this.textMap.set(s, s);
    return s;
  }

  /** `items` as shared strings, in a list of its own. */
  texts(items: readonly string[]): string[] {
    return items.length === 0 ? (EMPTY as unknown as string[]) : items.map((t) => this.text(t));
  }

  get size(): number {
    return this.byText.size;
  }

  clear(): void {
    this.byText.clear();
    this.lists.clear();
    this.textMap.clear();
  }
}

const EMPTY: readonly never[] = Object.freeze([]);
