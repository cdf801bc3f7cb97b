// Which language a source compiles as, decided by its extension as gcc and clang
// decide it without -x: a TU's compiler, standard and flags all follow from it.
import { extname } from 'node:path';

export type SourceLanguage = 'c' | 'c++';

export const C_EXT: ReadonlySet<string> = new Set(['.c']);
export const CXX_EXT: ReadonlySet<string> = new Set(['.cc', '.cp', '.cxx', '.cpp', '.CPP', '.c++', '.C']);

/** 'c' for a `.c` file; every other source of a target compiles as C++. */
export function sourceLanguage(source: string): SourceLanguage {
  return C_EXT.has(extname(source)) ? 'c' : 'c++';
}
