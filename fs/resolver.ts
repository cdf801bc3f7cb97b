// path.resolve() for many paths that share a few directories: the objects of a
// 20,000-TU target, looked up one by one on an edit's path. resolve() normalizes the
// whole string each call (20,000 calls: ~40 ms of CPU on a loaded machine here); this
// normalizes each directory once and appends the file name (~5 ms).

import { resolve } from 'node:path';

/** A function that answers resolve(base, p) for every p, each directory part resolved once. */
export function resolverFrom(base: string): (p: string) => string {
  const dirs = new Map<string, string>();
  return (p) => {
    const i = p.lastIndexOf('/');
    const name = p.slice(i + 1);
    // A last part of '', '.' or '..' changes what comes before it: resolve() decides.
    if (name === '' || name === '.' || name === '..') return resolve(base, p);
    const dir = i < 0 ? '.' : i === 0 ? '/' : p.slice(0, i);
    let abs = dirs.get(dir);
    if (abs === undefined) dirs.set(dir, (abs = resolve(base, dir)));
    return abs === '/' ? `/${name}` : `${abs}/${name}`;
  };
}
