// A compiler that takes its time, and the compilers a daemon has on record: for tests
// that must catch a build while its compiles run (kill, cancel, fall back).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from './project.js';

/** A compiler that sleeps `seconds` before each compile (-c), then is g++: slow TUs
 *  without heavy code, and a shell in the process group as a real compiler has cc1plus. */
export const SLOW_CXX = (seconds: number) => `#!/bin/sh\nfor a in "$@"; do if [ "$a" = "-c" ]; then sleep ${seconds}; break; fi; done\nexec g++ "$@"\n`;

/** The compiler processes daemon `name` has on record (.replibuild/pids/NAME.children.json). */
export function childrenOf(p: TestProject, name: string): { pid: number; proc_start: number | null }[] {
  try {
    return JSON.parse(readFileSync(join(p.root, `.replibuild/pids/${name}.children.json`), 'utf8'));
  } catch {
    return [];
  }
}
