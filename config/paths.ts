import { posix } from 'node:path';

/**
 * A path as the config stores it: forward slashes, normalized, no `./`, no trailing
 * slash. Relative paths stay relative to the project root and absolute ones stay
 * absolute (a system include dir is not better written as `../../usr/include`).
 * The empty path and `./` become `.`.
 */
export function normalizeConfigPath(p: string): string {
  const n = posix.normalize(p.replace(/\\/g, '/'));
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
}

/** True for a normalized relative path that climbs out of the project root. */
export function leavesRoot(normalized: string): boolean {
  return normalized === '..' || normalized.startsWith('../');
}
