// What a plan derives from a file's text (a source's leading #includes, whether a
// header is guarded), kept per path with the stat it was read at, across builds in one
// process: a plan reads again only the files whose size or mtime moved. The facts are
// kept, not the text: kept texts were 11 MB of the orchestrator's heap at 20,000 tiny
// TUs, and grow with the sources' size in a real project.

import { readFileSync, statSync } from 'node:fs';

export class TextFacts<T> {
  private readonly kept = new Map<string, { mtimeMs: number; size: number; facts: T }>();

  constructor(private readonly derive: (text: string) => T) {}

  /** The facts of the file at `abs` as it is now; null when it is not a readable file.
   *  `key`: what they are kept under, `abs` unless the caller holds a shorter name of the
   *  file for as long (a plan's source path: 20,000 absolute copies were 1.2 MB). */
  get(abs: string, key = abs): T | null {
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st || !st.isFile()) return null;
    const k = this.kept.get(key);
    if (k && k.mtimeMs === st.mtimeMs && k.size === st.size) return k.facts;
    const text = readTextOrNull(abs);
    if (text === null) return null;
    const facts = this.derive(text);
    this.kept.set(key, { mtimeMs: st.mtimeMs, size: st.size, facts });
    return facts;
  }

  /** Whether the file still gives the facts last taken from it (by `same`), without
   *  taking the new ones: false when none were taken or it is gone. `key`: as for get(). */
  unchanged(abs: string, same: (was: T, now: T) => boolean, key = abs): boolean {
    const k = this.kept.get(key);
    if (!k) return false;
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st || !st.isFile()) return false;
    if (k.mtimeMs === st.mtimeMs && k.size === st.size) return true;
    const text = readTextOrNull(abs);
    return text !== null && same(k.facts, this.derive(text));
  }
}

export function readTextOrNull(abs: string): string | null {
  try {
    return readFileSync(abs, 'utf8');
  } catch {
    return null;
  }
}
