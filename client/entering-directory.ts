// make's "Entering directory" / "Leaving directory" lines. Diagnostics keep the
// paths the compiler printed, relative to the project root (the $gcc problem
// matcher of a workspace opened at the root, and the cache's replayed warnings,
// rely on that). A caller elsewhere (a subdirectory, `-C DIR`, make -C) gets
// these lines instead, which Emacs' compilation mode, Vim's errorformat (%D/%X)
// and make's own nested output already use to resolve relative paths.

/** Where the user ran the command: taken when this module loads, before any
 *  `replibuild -C DIR` moves the process (cli.ts imports it first). Kept on the global
 *  object, where the first copy of this module to load leaves it: the CLI's entry bundle
 *  holds one copy, and a command loaded later (run, watch) brings another, after the move. */
const INVOKED_IN = Symbol.for('replibuild.invoked-in');
const invokedIn: string = ((globalThis as { [INVOKED_IN]?: string })[INVOKED_IN] ??= process.cwd());

export interface Announcer {
  /** Prints the Leaving line, when an Entering line was printed. */
  leave(): void;
}

/** Prints the Entering line to `out` when the project root is not where the user
 *  ran the command. `quiet` (--json) prints nothing. */
export function enterDirectory(root: string, out: { write(text: string): unknown }, quiet = false): Announcer {
  if (quiet || root === invokedIn) return { leave: () => undefined };
  out.write(`replibuild: Entering directory '${root}'\n`);
  return { leave: () => void out.write(`replibuild: Leaving directory '${root}'\n`) };
}
