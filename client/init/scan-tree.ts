// `replibuild init` without CMake: a replibuild.toml guessed from the tree. Every
// C and C++ source is found (CMake build trees left out); a source that defines
// main() is a program, the rest one static library every program links; an
// include dir is added wherever a header that something includes lies below one
// (`#include "geo/point.h"` and include/geo/point.h → "include"), unless it is
// found beside the includer.

import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, posix } from 'node:path';
import { DEFAULT_BUILD_DIR } from '../../config/project-config.js';
import { expandGlobs } from '../../config/glob.js';
import type { ProjectDraft, TargetDraft } from '../../config/project-draft.js';
import { blankComments } from '../../cache/comment-blind.js';

export const SOURCE_GLOB = '**/*.{c,cc,cpp,cxx}';
const HEADER_GLOB = '**/*.{h,hh,hpp,hxx,inl,ipp,tpp}';

/** A definition of main at file scope: `int main(`, `auto main(`, split over lines too. */
const DEFINES_MAIN = /(?:^|[\s;}])(?:int|auto)\s+main\s*\(/;

export interface ScanResult {
  draft: ProjectDraft;
  sources: number;
  headers: number;
}

function read(root: string, rel: string): { text: string; includes: { name: string; angled: boolean }[] } {
  const b = blankComments(readFileSync(posix.join(root, rel)));
  return { text: b.text.toString('utf8'), includes: b.includes };
}

function nameFrom(raw: string): string {
  return raw.replace(/[^A-Za-z0-9_.-]/g, '_') || 'app';
}

/** Files not under a CMake build tree (a dir holding CMakeCache.txt): its
 *  CMakeFiles/ hold compiler-identification sources that define main. */
function outsideCmakeBuilds(root: string, files: string[]): string[] {
  const isBuildTree = new Map<string, boolean>();
  const inBuild = (dir: string): boolean => {
    if (dir === '.' || dir === '') return false;
    let v = isBuildTree.get(dir);
    if (v === undefined) {
      v = existsSync(posix.join(root, dir, 'CMakeCache.txt')) || inBuild(posix.dirname(dir));
      isBuildTree.set(dir, v);
    }
    return v;
  };
  return files.filter((f) => !inBuild(posix.dirname(f)));
}

/** Null when there is nothing to build. */
export function scanTree(root: string, projectName: string): ScanResult | null {
  const opts = { buildDir: DEFAULT_BUILD_DIR };
  const sources = outsideCmakeBuilds(root, expandGlobs(root, [SOURCE_GLOB], opts));
  if (sources.length === 0) return null;
  const headers = outsideCmakeBuilds(root, expandGlobs(root, [HEADER_GLOB], opts));
  const headerSet = new Set(headers);

  const includeDirs: string[] = [];
  const mains: string[] = [];
  const rest: string[] = [];
  for (const file of [...sources, ...headers]) {
    const { text, includes } = read(root, file);
    if (!headerSet.has(file)) (DEFINES_MAIN.test(text) ? mains : rest).push(file);
    for (const inc of includes) {
      // Found beside the includer: no dir needed for a quoted include.
      if (!inc.angled && headerSet.has(posix.normalize(posix.join(dirname(file), inc.name)))) continue;
      for (const h of headers) {
        if (h !== inc.name && !h.endsWith(`/${inc.name}`)) continue;
        const dir = h === inc.name ? '.' : h.slice(0, -inc.name.length - 1);
        if (!includeDirs.includes(dir)) includeDirs.push(dir);
      }
    }
  }

  const taken = new Set<string>();
  const programs: TargetDraft[] = mains.map((file) => {
    let name = nameFrom(basename(file, extname(file)));
    // Two main.cpp files: name them after their directories.
    if (taken.has(name) || mains.filter((m) => basename(m, extname(m)) === basename(file, extname(file))).length > 1) {
      name = nameFrom(dirname(file) === '.' ? name : `${basename(dirname(file))}_${name}`);
    }
    for (let i = 2; taken.has(name); i++) name = `${nameFrom(basename(file, extname(file)))}_${i}`;
    taken.add(name);
    return { name, kind: 'executable', sources: [file], comment: `${file} defines main()` };
  });
  const targets: TargetDraft[] = [];
  if (rest.length > 0) {
    let lib = nameFrom(projectName);
    if (taken.has(lib)) lib = `${lib}_lib`;
    targets.push({ name: lib, kind: 'static', sources: rest, comment: 'every source without main()' });
    for (const p of programs) p.deps = [lib];
  }
  targets.push(...programs);
  includeDirs.sort();
  return {
    draft: {
      header: [
        'Written by replibuild init from a scan of the tree: sources defining main() are',
        'programs, the others one static library they link. Edit freely; see the README.',
      ],
      name: projectName,
      compiler: { include_dirs: includeDirs },
      targets,
    },
    sources: sources.length,
    headers: headers.length,
  };
}
