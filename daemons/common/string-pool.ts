// Strings a daemon keeps long, kept small. A 20,000-TU project holds each job's flags,
// paths and stamps once per TU, so their form is the heap. Two ways V8 makes them bigger
// than their text:
// - a concatenation (`${a}:${b}`, a + '.d') of 13 or more characters is a ConsString: a
//   32-byte node over its parts, which stay alive with it (a stat stamp is four strings);
// - equal strings made apart (each job's flags built anew, or parsed from JSON) are
//   separate copies: 20,000 of `-fdebug-prefix-map=…`.
// Used by the orchestrator's kept plan and hash memos and the compilation daemon's batches.

/** `s` as one flat string of its own, which holds no parts alive. Copies: meant for
 *  strings kept long, made once. */
export function flat(s: string): string {
  // Array.prototype.join writes a new sequential string; slice flattens its input first.
  // A single-element join would hand back `s` itself.
  return s.length < 2 ? s : [s.slice(0, 1), s.slice(1)].join('');
}

/** One instance per distinct string, for the life of the pool (one plan, one batch):
 *  equal strings that many records hold then cost one copy. Kept strings are flat. */
export class StringPool {
  private readonly known = new Map<string, string>();

  intern(s: string): string {
    let k = this.known.get(s);
    if (k === undefined) this.known.set((k = flat(s)), k);
    return k;
  }
}
