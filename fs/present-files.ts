// Whether many files are all there, by listing their directories rather than stat'ing
// each: the objects of a 20,000-TU target sit in a few directories, and one listing of
// such a directory costs about half the CPU of 20,000 stats (measured here: 35 ms
// against 65 ms). An entry that is not plainly a file (a symlink, an unknown type) is
// stat'ed, so a dangling link or a directory in a file's place counts as absent.

import { readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, dirname } from 'node:path';

/** Whether every one of `paths` (absolute) is a file now, following symlinks. */
export function allFilesPresent(paths: Iterable<string>): boolean {
  const byDir = new Map<string, string[]>();
  for (const p of paths) {
    const dir = dirname(p);
    let names = byDir.get(dir);
    if (!names) byDir.set(dir, (names = []));
    names.push(basename(p));
  }
  for (const [dir, names] of byDir) {
    // A listing pays for itself only past a few files: for one or two, a stat each.
    if (names.length <= 2) {
      if (!names.every((n) => statSync(`${dir}/${n}`, { throwIfNoEntry: false })?.isFile())) return false;
      continue;
    }
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false; // no such directory, or one we cannot list: not vouched for
    }
    const kinds = new Map<string, Dirent>();
    for (const e of entries) kinds.set(e.name, e);
    for (const n of names) {
      const e = kinds.get(n);
      if (!e || e.isDirectory()) return false;
      if (!e.isFile() && !statSync(`${dir}/${n}`, { throwIfNoEntry: false })?.isFile()) return false;
    }
  }
  return true;
}
