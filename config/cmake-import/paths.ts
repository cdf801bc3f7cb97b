import { isAbsolute, relative, sep } from 'node:path';

/**
 * How an imported path is written in replibuild.toml: relative to the project root
 * when it lies inside, or beside it under a common directory (`../gtest/src/x.cc`),
 * so a checkout moved with its neighbour keeps working; absolute when the two meet
 * only at `/` (`/usr/src/googletest/...`).
 */
export function configPathOf(abs: string, root: string): string {
  const rel = relative(root, abs);
  if (rel === '') return '.';
  const slashed = sep === '/' ? rel : rel.split(sep).join('/');
  if (isAbsolute(rel)) return abs;
  if (!slashed.startsWith('../') && slashed !== '..') return slashed;
  const top = (p: string) => p.split('/')[1];
  return top(abs) === top(root) ? slashed : abs;
}

/** Whether `abs` lies in `dir` (or is it). */
export function isUnder(abs: string, dir: string): boolean {
  const rel = relative(dir, abs);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
