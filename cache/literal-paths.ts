// Paths as the compiler spells them: include directories joined with include names,
// relative to the working directory, never normalized behind the compiler's back
// ("a/../b" through a symlinked "a" is not "b").

import { isAbsolute, posix } from 'node:path';

/** Absolute form without normalizing: "a/../b" must reach the kernel as written,
 *  as it does from the compiler (a symlinked "a" makes ".." go elsewhere). */
export function absLiteral(cwd: string, p: string): string {
  if (isAbsolute(p)) return p;
  if (p === '' || p === '.') return cwd;
  return cwd.endsWith('/') ? cwd + p : `${cwd}/${p}`;
}

/** Directory part as the compiler takes it for quoted includes: up to the last "/". */
export function dirOfLiteral(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '';
  if (i === 0) return '/';
  return p.slice(0, i);
}

export function joinLiteral(dir: string, name: string): string {
  if (dir === '') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

export function isUnder(cwd: string, abs: string): boolean {
  const base = cwd.endsWith('/') ? cwd : `${cwd}/`;
  return abs.startsWith(base);
}

/** The path to ask the HeaderHasher about: absolute and normalized, as a file watcher
 *  names files. Null for a path through "..": "inc/../x.h" with a symlinked inc is not
 *  the file the lexical form names, so such headers are hashed from disk instead. */
export function hasherPath(cwd: string, p: string): string | null {
  if (p === '..' || p.startsWith('../') || p.includes('/../') || p.endsWith('/..')) return null;
  return posix.normalize(absLiteral(cwd, p));
}

/** Project files are checked through the HeaderHasher; the others (system headers) by stat. */
export function isProjectPath(cwd: string, p: string): boolean {
  return !isAbsolute(p) || isUnder(cwd, p);
}

/** How a path is stored: relative to cwd when inside it, so another checkout hits. */
export function storedForm(cwd: string, abs: string): string {
  if (abs === cwd) return '.';
  return isUnder(cwd, abs) ? abs.slice(cwd.endsWith('/') ? cwd.length : cwd.length + 1) : abs;
}

/** Every include name under which `p` may have been found from one of `dirs`. */
export function includeNames(p: string, dirs: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const d of dirs) {
    if (d === '') {
      if (!isAbsolute(p)) names.add(p);
      continue;
    }
    const prefix = d.endsWith('/') ? d : `${d}/`;
    if (p.startsWith(prefix) && p.length > prefix.length) names.add(p.slice(prefix.length));
  }
  return [...names];
}

/** Normalizes only when the literal path has something to normalize (cheap for the many that do not). */
export function normalized(abs: string): string {
  return abs.includes('/.') || abs.includes('//') ? posix.resolve(abs) : abs;
}
