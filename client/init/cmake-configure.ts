// Runs CMake on a project so that it answers the file API: the query goes into a
// build dir of replibuild's, then `cmake -S SOURCE -B BUILD`. Configuring also
// writes what configure_file generates (configured headers), which the imported
// targets then include from that build dir.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findOnPath } from '../../config/compiler.js';
import { QUERY_JSON, queryPath } from '../../config/cmake-import/reply.js';
import { UserError } from '../../daemons/common/user-error.js';

/** Where an import configures, relative to the project root. */
export const CMAKE_IMPORT_DIR = '.replibuild/cmake-import';

export class CmakeConfigureError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'CmakeConfigureError';
  }
}

/** Lines of CMake's output shown when it fails. */
const SHOWN_LINES = 40;

function chooseGenerator(buildDir: string, cmakeArgs: readonly string[]): string[] {
  // A configured build dir keeps its generator; CMake refuses another.
  if (existsSync(join(buildDir, 'CMakeCache.txt'))) return [];
  if (cmakeArgs.some((a) => a === '-G' || a.startsWith('-G'))) return [];
  return ['-G', findOnPath('ninja') !== null ? 'Ninja' : 'Unix Makefiles'];
}

export function configureWithFileApi(sourceDir: string, buildDir: string, cmakeArgs: readonly string[]): void {
  if (!existsSync(join(sourceDir, 'CMakeLists.txt'))) {
    throw new CmakeConfigureError(`${sourceDir} has no CMakeLists.txt: pass the CMake project's source dir (replibuild init --from-cmake SOURCE_DIR)`);
  }
  const query = queryPath(buildDir);
  mkdirSync(dirname(query), { recursive: true });
  writeFileSync(query, JSON.stringify(QUERY_JSON) + '\n');
  const argv = ['-S', sourceDir, '-B', buildDir, ...chooseGenerator(buildDir, cmakeArgs), ...cmakeArgs];
  const r = spawnSync('cmake', argv, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new CmakeConfigureError(
      code === 'ENOENT'
        ? 'cmake is not installed or not on PATH: install CMake 3.14 or newer (Debian: apt-get install cmake)'
        : `cannot run cmake: ${r.error.message}`,
    );
  }
  if (r.status !== 0) {
    const out = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd().split('\n').slice(-SHOWN_LINES).join('\n');
    throw new CmakeConfigureError(`cmake ${argv.join(' ')} failed (exit ${r.status ?? r.signal}):\n${out}`);
  }
}
