// Whether a relative path is already in the form resolve() and relative() give: then a
// memo may key on the caller's own string (held anyway by a plan) instead of a resolved
// copy of it, and two spellings of one path still meet under one key.

/** Absolute, empty, or with an empty, `.` or `..` segment. */
const UNNORMAL = /(^|\/)\.{0,2}(\/|$)/;

/** Relative, with nothing to normalize: "src/a.cpp", not "./src/a.cpp", "a//b" or "/abs". */
export function isPlainRelative(path: string): boolean {
  return !UNNORMAL.test(path);
}
