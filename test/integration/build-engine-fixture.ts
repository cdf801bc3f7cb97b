// Small real C++ projects in temp dirs, and ProjectConfig objects built by hand
// (the config loader is not a dependency of these tests).

import { afterEach, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import type { ProjectConfig, ResolvedTarget } from '../../config/types.js';
import { getCompilerIdentity, type CompilerIdentity } from '../../toolchain/compiler-identity.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { projectConfig, resolvedTarget, type TargetSpec } from '../helpers/config-fixture.js';

export function writeFiles(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

export function makeTempProject(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'replibuild-engine-'));
  writeFiles(root, files);
  return root;
}

export function removeTempProject(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/** What an engine test file shares: g++'s identity, read once before its tests, and temp
 *  projects that are removed after each test whether it passed or not. */
export interface EngineTestSetup {
  readonly identity: CompilerIdentity;
  project(files?: Record<string, string>): string;
}

/** Registers the calling file's beforeAll/afterEach hooks; call it at the file's top level. */
export function engineTestSetup(): EngineTestSetup {
  const roots: string[] = [];
  let identity: CompilerIdentity | undefined;
  beforeAll(async () => {
    identity = await getCompilerIdentity('g++');
  });
  afterEach(() => {
    for (const r of roots.splice(0)) removeTempProject(r);
  });
  return {
    get identity() {
      if (!identity) throw new Error('engineTestSetup: the identity is read in beforeAll; use it inside a test');
      return identity;
    },
    project(files = CALC_FILES) {
      const root = makeTempProject(files);
      roots.push(root);
      return root;
    },
  };
}

/** An engine test's target: resolution's defaults, built at -O0. */
export function target(spec: TargetSpec): ResolvedTarget {
  return resolvedTarget({ flags: ['-O0'], c_flags: ['-O0'], ...spec });
}

export { projectConfig };

/** A static library (two TUs) and an executable (one TU) linking it.
 *  include/calc/extra.h is read by k = 2 of the n = 3 TUs. */
export const CALC_FILES: Record<string, string> = {
  'include/calc/calc.h': '#pragma once\nint add(int a, int b);\nint twice(int a);\n',
  'include/calc/extra.h': '#pragma once\nconstexpr int kExtra = 1;\n',
  'src/lib/add.cpp': '#include "calc/calc.h"\n#include "calc/extra.h"\nint add(int a, int b) { return a + b + kExtra - 1; }\n',
  'src/lib/twice.cpp': '#include "calc/calc.h"\nint twice(int a) { return add(a, a); }\n',
  'src/app/main.cpp':
    '#include <cstdio>\n#include "calc/calc.h"\n#include "calc/extra.h"\n' +
    '#ifndef GREETING\n#define GREETING 0\n#endif\n' +
    'int main() { std::printf("%d %d %d\\n", add(2, 3), twice(4), GREETING + kExtra - 1); return 0; }\n',
};

export function calcConfig(root: string, appDefines: string[] = []): ProjectConfig {
  return projectConfig(root, [
    target({ name: 'calc', kind: 'static', sources: ['src/lib/add.cpp', 'src/lib/twice.cpp'], include_dirs: ['include'] }),
    target({
      name: 'app',
      kind: 'executable',
      sources: ['src/app/main.cpp'],
      include_dirs: ['include'],
      defines: appDefines,
      deps: ['calc'],
      link_deps: ['calc'],
    }),
  ]);
}

export function runProgram(root: string, rel: string): string {
  return execFileSync(join(root, rel), { cwd: root, encoding: 'utf8' });
}

/** Every file under `dir` (relative paths). */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** A compile function around the real runner that logs which objects it compiled. */
export function countingCompiler(identity: CompilerIdentity) {
  const compiled: string[] = [];
  const compile = async (job: CompileJob, signal: AbortSignal): Promise<CompileResult> => {
    const r = await runCompile(job, identity, { signal });
    compiled.push(job.object);
    return r;
  };
  return { compile, compiled };
}
