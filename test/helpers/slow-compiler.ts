// A compiler that takes its time, and the compilers a daemon has on record: for tests
// that must catch a build while its compiles run (kill, cancel, fall back).
import { readdirSync, readFileSync } from 'node:fs';
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

/** Live (not zombie) processes in any of these process groups, from /proc. */
export function liveInGroups(groups: Set<number>): number[] {
  const live: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' '); // f[0] = state, f[2] = pgrp
      if (f[0] !== 'Z' && groups.has(Number(f[2]))) live.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  }
  return live;
}
