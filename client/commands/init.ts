// `replibuild init [--from-cmake [SOURCE_DIR] [-- CMAKE_ARGS]]`: a first
// replibuild.toml, from a scan of the tree or from CMake's file API, and a
// daemon_config.toml with free ports. Never overwrites a file.

import { existsSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { DAEMON_NAMES } from '../../config/daemon-names.js';
import { ConfigError, formatIssue } from '../../config/errors.js';
import { loadProjectConfig } from '../../config/project-config.js';
import { PROJECT_FILE } from '../../config/project-root.js';
import { renderProjectToml, type ProjectDraft } from '../../config/project-draft.js';
import { importCodemodel } from '../../config/cmake-import/map.js';
import { CmakeReplyError, loadCodemodel } from '../../config/cmake-import/reply.js';
import { UserError } from '../../daemons/common/user-error.js';
import { CMAKE_IMPORT_DIR, configureWithFileApi } from '../init/cmake-configure.js';
import { scanTree, SOURCE_GLOB } from '../init/scan-tree.js';
import { refuseExisting, writeNewFiles } from '../init/write-new-files.js';

export interface InitArgs {
  dir?: string;
  fromCmake?: boolean;
  /** SOURCE_DIR (with --from-cmake), at most one. */
  paths: string[];
  /** After `--`: given to cmake as they are. */
  cmakeArgs: string[];
}

const DAEMON_CONFIG = '.replibuild/daemon_config.toml';

function daemonConfigText(): string {
  const head = [
    '# Written by replibuild init: every daemon takes a free port (0), so this project',
    "# never collides with another's daemons. Every key is optional: see the README.",
  ].join('\n');
  return `${head}\n${DAEMON_NAMES.map((n) => `\n[daemons.${n}]\nport = 0\n`).join('')}`;
}

function isDir(abs: string): boolean {
  try {
    return statSync(abs).isDirectory();
  } catch {
    return false;
  }
}

interface Drafted {
  draft: ProjectDraft;
  /** Said after what was written: what was left out and why, and what was changed. */
  skipped: string[];
  notes: string[];
  from: string;
}

function fromScan(root: string): Drafted {
  const scan = scanTree(root, basename(root));
  if (!scan) throw new UserError(`no C or C++ sources (${SOURCE_GLOB}) under ${root}: nothing to put in ${PROJECT_FILE}`);
  return { draft: scan.draft, skipped: [], notes: [], from: `a scan of ${scan.sources} sources and ${scan.headers} headers` };
}

function fromCmake(root: string, sourceDir: string, cmakeArgs: string[]): Drafted {
  const buildDir = join(root, CMAKE_IMPORT_DIR);
  configureWithFileApi(sourceDir, buildDir, cmakeArgs);
  let model;
  try {
    model = loadCodemodel(buildDir);
  } catch (e) {
    if (e instanceof CmakeReplyError) throw new UserError(e.message);
    throw e;
  }
  const result = importCodemodel(model, {
    root,
    name: model.project || basename(sourceDir),
    exists: existsSync,
    isDir,
  });
  if (result.draft.targets.length === 0) {
    const why = result.skipped.map((s) => `\n  - ${s}`).join('');
    throw new UserError(`CMake project ${sourceDir} has no target replibuild can build; nothing was written${why}`);
  }
  return { ...result, from: `CMake's codemodel (configured in ${CMAKE_IMPORT_DIR})` };
}

export async function run(args: InitArgs): Promise<number> {
  const root = resolve(args.dir ?? process.cwd());
  if (!isDir(root)) throw new UserError(`${root} is not a directory`);
  if (!args.fromCmake && (args.paths.length > 0 || args.cmakeArgs.length > 0)) {
    throw new UserError('replibuild init takes a SOURCE_DIR and CMake arguments only with --from-cmake (the project dir is -C DIR)');
  }
  if (args.paths.length > 1) throw new UserError(`replibuild init --from-cmake takes one SOURCE_DIR, not ${args.paths.join(' ')} (CMake's own arguments go after --)`);
  const files = [PROJECT_FILE, DAEMON_CONFIG];
  // Before CMake runs: a refusal costs nothing and writes nothing.
  refuseExisting(root, files);

  const drafted = args.fromCmake ? fromCmake(root, resolve(args.paths[0] ?? root), args.cmakeArgs) : fromScan(root);
  writeNewFiles(root, [
    { path: PROJECT_FILE, content: renderProjectToml(drafted.draft) },
    { path: DAEMON_CONFIG, content: daemonConfigText() },
  ]);

  const targets = drafted.draft.targets.map((t) => `  ${t.name} (${t.kind}, ${t.sources.length} source${t.sources.length === 1 ? '' : 's'})`);
  console.log(`wrote ${PROJECT_FILE} from ${drafted.from}: ${targets.length} target${targets.length === 1 ? '' : 's'}\n${targets.join('\n')}`);
  console.log(`wrote ${DAEMON_CONFIG}: port = 0 (any free port) for ${DAEMON_NAMES.join(', ')}`);
  for (const n of drafted.notes) console.log(`note: ${n}`);
  if (drafted.skipped.length > 0) {
    console.error(`replibuild: could not import ${drafted.skipped.length} thing${drafted.skipped.length === 1 ? '' : 's'} (the rest was written):`);
    for (const s of drafted.skipped) console.error(`  - ${s}`);
  }
  // What was written must load; if it does not, say where, as any config error.
  try {
    loadProjectConfig(root);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const issue of e.issues) console.error(formatIssue({ ...issue, file: relative(root, issue.file) || issue.file }));
    console.error(`replibuild: the ${PROJECT_FILE} written has the problems above; edit it to fix them`);
    return 1;
  }
  console.log('next: replibuild compile');
  return 0;
}
