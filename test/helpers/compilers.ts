// The compiler pairs the build and cache suites run under: each installed pair of
// g++/gcc and clang++/clang. A test project picks one through $CXX and $CC, which
// replibuild reads (and the daemons inherit from `start`) when replibuild.toml names none.
import { findOnPath } from '../../config/compiler.js';

export interface CompilerPair {
  /** What describe.each shows: "g++" or "clang++". */
  name: string;
  cxx: string;
  cc: string;
  kind: 'gcc' | 'clang';
}

const PAIRS: CompilerPair[] = [
  { name: 'g++', cxx: 'g++', cc: 'gcc', kind: 'gcc' },
  { name: 'clang++', cxx: 'clang++', cc: 'clang', kind: 'clang' },
];

/** The pairs installed here (.ci/run installs both). */
export const COMPILERS: readonly CompilerPair[] = PAIRS.filter((c) => findOnPath(c.cxx) !== null && findOnPath(c.cc) !== null);

/** `env` with the pair's compilers as $CXX and $CC. */
export function withCompilers(env: NodeJS.ProcessEnv, c: CompilerPair): NodeJS.ProcessEnv {
  return { ...env, CXX: c.cxx, CC: c.cc };
}
