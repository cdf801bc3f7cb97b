// replibuild.toml: read, validate everything (reporting all problems at once, each
// at its line and column), then resolve targets into what the build needs: expanded
// sources, propagated include dirs, build order and link order. Synchronous and
// one pass over the tree, because the CLI runs it in-process on every command.

import { statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { PCH_MODES, type CompilerSettings, type PchMode, type ProfileConfig, type ProjectConfig, type TargetKind, type TargetSettings } from './types.js';
import { detectCc, detectCxx } from './compiler.js';
import { ConfigError } from './errors.js';
import { GlobSyntaxError, GlobWalker, isGlobPattern } from './glob.js';
import { leavesRoot, normalizeConfigPath } from './paths.js';
import { PROJECT_FILE } from './project-root.js';
import { closestMatch } from './suggest.js';
import { BUILTIN_PROFILES, DEFAULT_PROFILE, PROFILE_NAME, profileBuildDir, resolveProfile } from './profiles.js';
import { graphOf } from './resolve-targets.js';
import { findCycles } from './target-graph.js';
import { locateKey } from './toml-locate.js';
import { readTomlFile } from './toml-source.js';
import { formatKeyPath, isTable, IssueCollector, TableReader, describeValue, type KeyPath } from './validate.js';

/** `<root>/replibuild.toml`. */
export function projectConfigPath(root: string): string {
  return join(resolve(root), PROJECT_FILE);
}

export const DEFAULT_BUILD_DIR = 'build';
export const DEFAULT_CXX_STD = 'c++17';
export const DEFAULT_C_STD = 'c11';
export const TARGET_KINDS: readonly TargetKind[] = ['executable', 'static', 'shared'];
const TARGET_NAME = /^[A-Za-z0-9_.-]+$/;

const TOP_KEYS = ['project', 'compiler', 'profiles', 'targets'] as const;
const PROJECT_KEYS = ['name', 'build_dir', 'compile_commands', 'default_profile'] as const;
const COMPILER_KEYS = ['cxx', 'std', 'cc', 'c_std', 'pch', 'flags', 'c_flags', 'defines', 'include_dirs', 'link_flags', 'libs'] as const;
const TARGET_KEYS = [
  'kind',
  'sources',
  'include_dirs',
  'public_include_dirs',
  'defines',
  'flags',
  'c_flags',
  'std',
  'c_std',
  'pch',
  'deps',
  'libs',
  'link_flags',
] as const;

const CXX_STD = /^(c|gnu)\+\+[0-9][0-9a-z]*$/;
const C_STD = /^((c|gnu)[0-9][0-9a-z]*|iso9899:[0-9a-z]+)$/;

/** `NAME`, `NAME=VALUE`, or a function-like `NAME(a,b)=...`, as `-D` takes them. */
const DEFINE = /^[A-Za-z_][A-Za-z0-9_]*(\([^()]*\))?(=.*)?$/s;

type TargetSpec = Omit<TargetSettings, 'kind'> & {
  path: KeyPath;
  kind: TargetKind | null;
  sources: string[];
};

/**
 * Loads, validates and resolves `<root>/replibuild.toml`.
 *
 * `libs` entries are library names as `-l` takes them ("pthread"; a written
 * "-lpthread" is stored as "pthread") or paths to a library file (they contain a `/`).
 * Throws one ConfigError listing every problem.
 */
export function loadProjectConfig(root: string): ProjectConfig {
  const absRoot = resolve(root);
  const file = projectConfigPath(absRoot);
  const source = readTomlFile(file);
  if (!source) {
    throw new ConfigError([
      {
        file,
        line: null,
        column: null,
        message: `no ${PROJECT_FILE} in ${absRoot}: create one with at least one [targets.NAME] table`,
      },
    ]);
  }
  const issues = new IssueCollector(file, source.text);
  const top = new TableReader(issues, source.data, []);
  top.rejectUnknown(TOP_KEYS);

  const project = top.table('project');
  project?.rejectUnknown(PROJECT_KEYS);
  const name = project?.string('name', { nonEmpty: true }) ?? basename(absRoot);
  const buildDir = readBuildDir(project);
  const compileCommands = project?.bool('compile_commands') ?? true;
  const compilerTable = top.table('compiler');
  const written = compilerTable ? readCompilerTable(compilerTable, absRoot) : {};
  const profileTables = readProfiles(top, absRoot);
  const defaultProfile = readDefaultProfile(project, [...profileTables.keys()]);
  const profiles: Record<string, ProfileConfig> = {};
  for (const [n, compiler] of profileTables) profiles[n] = { build_dir: profileBuildDir(buildDir, n, defaultProfile), compiler };

  const walker = new GlobWalker(absRoot, { buildDir, skipDirs: Object.values(profiles).map((p) => p.build_dir) });
  const specs = readTargets(top, source.text, absRoot, walker);
  checkDeps(specs, issues);
  issues.throwIfAny();

  const sources = new Map(specs.map((s) => [s.name, s.sources]));
  const base = {
    root: absRoot,
    name,
    compile_commands: compileCommands,
    files: [file],
    default_profile: defaultProfile,
    profiles,
    base_compiler: withDefaults(written),
    target_settings: specs.map(settingsOf),
  };
  return resolveProfile(base, defaultProfile, (target) => sources.get(target)!);
}

/** [compiler] as written, the unwritten keys at their defaults. */
function withDefaults(written: Partial<CompilerSettings>): CompilerSettings {
  return {
    cxx: written.cxx ?? detectCxx(),
    std: DEFAULT_CXX_STD,
    // Detected even for a project without C sources: only a C compile asks for it.
    cc: written.cc ?? detectCc(),
    c_std: DEFAULT_C_STD,
    pch: 'auto',
    flags: [],
    c_flags: [],
    defines: [],
    include_dirs: [],
    link_flags: [],
    libs: [],
    ...written,
  };
}

function settingsOf(spec: TargetSpec): TargetSettings {
  const { path: _path, sources: _sources, ...own } = spec;
  return { ...own, kind: own.kind! };
}

function readBuildDir(project: TableReader | undefined): string {
  const raw = project?.string('build_dir', { nonEmpty: true });
  if (raw === undefined) return DEFAULT_BUILD_DIR;
  const dir = normalizeConfigPath(raw);
  if (dir.startsWith('/') || leavesRoot(dir) || dir === '.') {
    project!.issues.add(
      project!.at('build_dir'),
      `project.build_dir must be a directory inside the project, such as "build", not "${raw}"`,
    );
    return DEFAULT_BUILD_DIR;
  }
  return dir;
}

/** The keys a [compiler] table (or a [profiles.NAME] table: the same schema) sets. */
function readCompilerTable(t: TableReader, root: string): Partial<CompilerSettings> {
  t.rejectUnknown(COMPILER_KEYS);
  const read: Partial<CompilerSettings> = {
    cxx: t.string('cxx', { nonEmpty: true })?.trim(),
    std: readStd(t, 'std'),
    cc: t.string('cc', { nonEmpty: true })?.trim(),
    c_std: readStd(t, 'c_std'),
    pch: readPch(t),
    flags: t.stringArray('flags', { nonEmptyItems: true }),
    c_flags: t.stringArray('c_flags', { nonEmptyItems: true }),
    defines: readDefines(t),
    include_dirs: readIncludeDirs(t, 'include_dirs', root),
    link_flags: t.stringArray('link_flags', { nonEmptyItems: true }),
    libs: readLibs(t),
  };
  return Object.fromEntries(Object.entries(read).filter(([, v]) => v !== undefined));
}

/** The built-in profiles, each replaced by a [profiles.NAME] table of its name, and the project's own. */
function readProfiles(top: TableReader, root: string): Map<string, Partial<CompilerSettings>> {
  const out = new Map(Object.entries(BUILTIN_PROFILES).map(([n, c]) => [n, { ...c }]));
  const profiles = top.table('profiles');
  for (const name of profiles?.keys() ?? []) {
    const path = ['profiles', name];
    const value = profiles!.data[name];
    if (!isTable(value)) {
      top.issues.add(path, `${formatKeyPath(path)} must be a table, written [${formatKeyPath(path)}], not ${describeValue(value)}`);
      continue;
    }
    if (!PROFILE_NAME.test(name)) {
      top.issues.add(path, `profile name ${JSON.stringify(name)} may only use letters, digits, '_', '.' and '-', and not start with '.' or '-'`);
    }
    out.set(name, readCompilerTable(new TableReader(top.issues, value, path), root));
  }
  return out;
}

function readDefaultProfile(project: TableReader | undefined, known: string[]): string {
  const name = project?.string('default_profile', { nonEmpty: true });
  if (name === undefined) return DEFAULT_PROFILE;
  if (known.includes(name)) return name;
  const guess = closestMatch(name, known);
  const hint = guess ? ` (did you mean "${guess}"?)` : '';
  project!.issues.add(
    project!.at('default_profile'),
    `project.default_profile is "${name}", which is not a profile${hint}: use one of ${[...known].sort().join(', ')}, or add a [profiles.${name}] table`,
  );
  return DEFAULT_PROFILE;
}

function readTargets(top: TableReader, text: string, root: string, walker: GlobWalker): TargetSpec[] {
  const issues = top.issues;
  if (top.has('targets') && !isTable(top.data['targets'])) {
    issues.add(
      ['targets'],
      `targets must be a table of targets, each written [targets.NAME], not ${describeValue(top.data['targets'])}`,
    );
    return [];
  }
  const targets = top.table('targets');
  // JS objects list integer-like keys first; a target named "2" must keep its place.
  // Only then is the file asked where each target is written (a second parse).
  const keys = targets?.keys() ?? [];
  const names = !keys.some((name) => /^(0|[1-9][0-9]*)$/.test(name))
    ? keys
    : keys
        .map((name, order) => ({ name, order, at: locateKey(text, ['targets', name]) }))
        .sort((a, b) => a.at.line - b.at.line || a.at.column - b.at.column || a.order - b.order)
        .map((x) => x.name);
  if (names.length === 0) {
    issues.add(['targets'], 'no targets: add at least one [targets.NAME] table with kind and sources');
    return [];
  }
  const specs: TargetSpec[] = [];
  for (const name of names) {
    const path = ['targets', name];
    const value = targets!.data[name];
    if (!isTable(value)) {
      issues.add(
        path,
        `targets.${name} is not a target: a target is a table, written [targets.${name}], not ${describeValue(value)}`,
      );
      continue;
    }
    if (!TARGET_NAME.test(name)) {
      issues.add(path, `target name ${JSON.stringify(name)} may only use letters, digits, '_', '.' and '-'`);
    }
    specs.push(readTarget(new TableReader(issues, value, path), name, root, walker));
  }
  return specs;
}

function readTarget(t: TableReader, name: string, root: string, walker: GlobWalker): TargetSpec {
  t.rejectUnknown(TARGET_KEYS);
  return {
    name,
    path: t.path,
    kind: readKind(t, name),
    sources: readSources(t, name, walker),
    include_dirs: readIncludeDirs(t, 'include_dirs', root) ?? [],
    public_include_dirs: readIncludeDirs(t, 'public_include_dirs', root) ?? [],
    defines: readDefines(t) ?? [],
    flags: t.stringArray('flags', { nonEmptyItems: true }) ?? [],
    c_flags: t.stringArray('c_flags', { nonEmptyItems: true }) ?? [],
    std: readStd(t, 'std'),
    c_std: readStd(t, 'c_std'),
    pch: readPch(t),
    deps: [...new Set(t.stringArray('deps', { nonEmptyItems: true }) ?? [])],
    libs: readLibs(t) ?? [],
    link_flags: t.stringArray('link_flags', { nonEmptyItems: true }) ?? [],
  };
}

/** `std` (C++) or `c_std` (C): a standard as -std= takes it, checked for the right language. */
function readStd(t: TableReader, key: 'std' | 'c_std'): string | undefined {
  const std = t.string(key, { nonEmpty: true })?.trim();
  if (std === undefined) return undefined;
  const [pattern, example] = key === 'std' ? [CXX_STD, 'a C++ standard such as "c++17" or "gnu++20"'] : [C_STD, 'a C standard such as "c11" or "gnu17"'];
  if (pattern.test(std)) return std;
  t.issues.add(t.at(key), `${formatKeyPath(t.at(key))} must be ${example}, not "${std}"`);
  return undefined;
}

/** `pch`: one of PCH_MODES. */
function readPch(t: TableReader): PchMode | undefined {
  const v = t.string('pch');
  if (v === undefined) return undefined;
  if ((PCH_MODES as readonly string[]).includes(v)) return v as PchMode;
  const guess = closestMatch(v, PCH_MODES);
  const hint = guess ? ` (did you mean "${guess}"?)` : '';
  t.issues.add(t.at('pch'), `${formatKeyPath(t.at('pch'))} must be "auto" or "off", not "${v}"${hint}`);
  return undefined;
}

function readKind(t: TableReader, name: string): TargetKind | null {
  const choices = TARGET_KINDS.map((k) => `"${k}"`).join(', ');
  if (!t.has('kind')) {
    t.issues.add(t.path, `target "${name}" has no kind: add kind = ${choices}`);
    return null;
  }
  const kind = t.string('kind');
  if (kind === undefined) return null;
  if ((TARGET_KINDS as readonly string[]).includes(kind)) return kind as TargetKind;
  const guess = closestMatch(kind, TARGET_KINDS);
  const hint = guess ? ` (did you mean "${guess}"?)` : '';
  t.issues.add(t.at('kind'), `${formatKeyPath(t.at('kind'))} must be one of ${choices}, not "${kind}"${hint}`);
  return null;
}

/** Expanded sources, in the order the patterns are listed; each pattern must match something. */
function readSources(t: TableReader, name: string, walker: GlobWalker): string[] {
  if (!t.has('sources')) {
    t.issues.add(t.path, `target "${name}" has no sources: add sources = ["src/*.cpp"] (globs from the project root)`);
    return [];
  }
  const patterns = t.stringArray('sources', { nonEmptyItems: true });
  if (patterns === undefined) return [];
  if (patterns.length === 0) {
    t.issues.add(t.at('sources'), `${formatKeyPath(t.at('sources'))} is empty: list at least one source file or glob`);
  }
  const files = new Set<string>();
  patterns.forEach((pattern, i) => {
    const where = t.at('sources').concat(i);
    const named = namedSource(pattern, walker.root);
    if (named !== null) {
      if (named.exists) files.add(named.path);
      else t.issues.add(where, `${formatKeyPath(where)}: source file "${pattern}" does not exist`);
      return;
    }
    let matches: string[];
    try {
      matches = walker.expand(pattern);
    } catch (e) {
      if (!(e instanceof GlobSyntaxError)) throw e;
      t.issues.add(where, `${formatKeyPath(where)}: ${e.message}`);
      return;
    }
    if (matches.length === 0) {
      const what = isGlobPattern(pattern) ? `glob "${pattern}" matches no files` : `source file "${pattern}" does not exist`;
      t.issues.add(where, `${formatKeyPath(where)}: ${what}`);
    }
    for (const f of matches) files.add(f);
  });
  return [...files];
}

/**
 * A plain path (no glob syntax) that a walk of the project would not reach: outside
 * the root (`../lib/x.c`, `/opt/src/x.c`) or under a directory the walk skips (a
 * configured source in `.replibuild/cmake-import/`). Such a file is named, not
 * searched for, so it is taken as written (absolute ones under the root made
 * relative); null for everything the glob walker handles.
 */
function namedSource(pattern: string, root: string): { path: string; exists: boolean } | null {
  if (isGlobPattern(pattern)) return null;
  let path = normalizeConfigPath(pattern);
  const absolute = path.startsWith('/');
  if (absolute) {
    const rel = relative(root, path);
    if (rel !== '' && !isAbsolute(rel) && !leavesRoot(normalizeConfigPath(rel))) path = normalizeConfigPath(rel);
  }
  const named = absolute || leavesRoot(path) || path.split('/').some((seg) => seg.startsWith('.') && seg !== '.' && seg !== '..');
  if (!named) return null;
  let exists = false;
  try {
    exists = statSync(resolve(root, path)).isFile();
  } catch {
    /* reported by the caller */
  }
  return { path, exists };
}

/** Include dirs, normalized; each must be an existing directory. */
function readIncludeDirs(t: TableReader, key: string, root: string): string[] | undefined {
  const dirs = t.stringArray(key, { nonEmptyItems: true });
  if (dirs === undefined) return undefined;
  return dirs.map((raw, i) => {
    const dir = normalizeConfigPath(raw);
    const where = t.at(key).concat(i);
    const problem = directoryProblem(resolve(root, dir));
    if (problem) t.issues.add(where, `${formatKeyPath(where)}: include directory "${raw}" ${problem}`);
    return dir;
  });
}

function directoryProblem(abs: string): string | null {
  try {
    return statSync(abs).isDirectory() ? null : 'is not a directory';
  } catch {
    return 'does not exist';
  }
}

function readDefines(t: TableReader): string[] | undefined {
  return t.stringArray('defines', {
    nonEmptyItems: true,
    check: (d) => (DEFINE.test(d) ? null : `"${d}" is not a define; write NAME or NAME=VALUE (without -D)`),
  });
}

function readLibs(t: TableReader): string[] | undefined {
  return t.stringArray('libs', { nonEmptyItems: true })?.map((lib) => lib.replace(/^-l(?=.)/, ''));
}

/** Every dep must name a library target, and the deps must not loop. */
function checkDeps(specs: TargetSpec[], issues: IssueCollector): void {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const names = [...byName.keys()];
  const depPath = (s: TargetSpec, dep: string): KeyPath => [...s.path, 'deps', s.deps.indexOf(dep)];
  for (const s of specs) {
    for (const dep of s.deps) {
      const target = byName.get(dep);
      const where = depPath(s, dep);
      if (!target) {
        const guess = closestMatch(dep, names);
        const hint = guess ? ` (did you mean "${guess}"?)` : '';
        issues.add(where, `${formatKeyPath(where)}: target "${s.name}" depends on "${dep}", which is not a target in this file${hint}`);
      } else if (target.kind === 'executable') {
        issues.add(
          where,
          `${formatKeyPath(where)}: target "${s.name}" depends on "${dep}", an executable; ` +
            'only static and shared libraries can be dependencies',
        );
      }
    }
  }
  for (const cycle of findCycles(graphOf(specs))) {
    const first = byName.get(cycle[0]!)!;
    issues.add(depPath(first, cycle[1]!), `dependency cycle: ${cycle.join(' -> ')}`);
  }
}
