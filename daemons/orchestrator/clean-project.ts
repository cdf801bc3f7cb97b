// `replibuild clean`: removes what a build of one profile made, and refuses to remove
// anything outside the project, whatever build_dir and the targets' outputs say.
import { rm } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import type { ProjectConfig } from '../../config/types.js';
import { removeBuildState, stateProfileOf } from './build-state.js';
import { hashCachePath } from './file-hasher.js';

export class UnsafeCleanError extends Error {
  constructor(readonly path: string, readonly root: string) {
    super(`refusing to delete ${path}: it is not a directory inside the project ${root}; check build_dir and the targets' output paths in replibuild.toml`);
    this.name = 'UnsafeCleanError';
  }
}

function insideRoot(root: string, rel: string): string {
  const abs = resolve(root, rel);
  const r = relative(root, abs);
  if (r === '' || r.startsWith('..') || isAbsolute(r)) throw new UnsafeCleanError(abs, root);
  return abs;
}

/** Removes the build dir, every target's objects and output (when outside it), and the
 *  build state: of the config's profile only, the other profiles' build dirs are left. */
export async function cleanProject(config: ProjectConfig): Promise<void> {
  const root = resolve(config.root);
  const paths = new Set<string>([insideRoot(root, config.build_dir)]);
  for (const t of config.targets) {
    paths.add(insideRoot(root, t.obj_dir));
    paths.add(insideRoot(root, t.output));
  }
  for (const p of paths) await rm(p, { recursive: true, force: true });
  await removeBuildState(root, stateProfileOf(config));
  await rm(hashCachePath(root), { force: true });
}
