// CMake's codemodel → replibuild targets. Pure: the reply comes in parsed, file
// existence through a callback, so it is tested on a recorded reply.
//
// CMake has already resolved every usage requirement (public include dirs and
// defines of deps, INTERFACE libraries, Threads::Threads) into each target's
// compile groups and link line, so each target gets its own complete lists as
// private settings, in CMake's order, and nothing is re-propagated: the commands
// replibuild runs are those CMake would.
//
// An OBJECT library becomes a static library its users depend on: it is compiled
// once, with its own flags and defines (folding its sources into each user would
// compile them with the user's), and the link is the same except that the linker
// takes from an archive only the objects something references.

import { split } from 'shlex';
import type { TargetKind } from '../types.js';
import type { ProjectDraft, TargetDraft } from '../project-draft.js';
import type { CmakeCodemodel, CmakeCompileGroup, CmakeFragment, CmakeTarget } from './reply.js';
import { configPathOf, isUnder } from './paths.js';
import { isAbsolute, resolve } from 'node:path';

export interface ImportOptions {
  /** Absolute project root: where replibuild.toml goes; paths are written relative to it. */
  root: string;
  /** Project name for [project]. */
  name: string;
  /** Whether a file exists now (after configure). */
  exists: (abs: string) => boolean;
  /** Whether a directory exists now. */
  isDir: (abs: string) => boolean;
}

export interface ImportResult {
  draft: ProjectDraft;
  /** What could not be imported, one line each, for one message. */
  skipped: string[];
  /** What was imported differently from CMake, worth knowing. */
  notes: string[];
}

const KINDS: Partial<Record<CmakeTarget['type'], TargetKind>> = {
  EXECUTABLE: 'executable',
  STATIC_LIBRARY: 'static',
  SHARED_LIBRARY: 'shared',
  MODULE_LIBRARY: 'shared',
  OBJECT_LIBRARY: 'static',
};

const LANGUAGES = new Set(['C', 'CXX']);

/** A name replibuild.toml accepts, unique among `taken`. */
function targetName(cmakeName: string, taken: Set<string>): string {
  const base = cmakeName.replace(/[^A-Za-z0-9_.-]/g, '_') || 'target';
  let name = base;
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

function args(fragments: readonly CmakeFragment[] | undefined): string[] {
  return (fragments ?? []).flatMap((f) => (f.fragment.trim() === '' ? [] : split(f.fragment)));
}

function pushNew(list: string[], item: string): void {
  if (!list.includes(item)) list.push(item);
}

interface Settings {
  std?: string;
  flags: string[];
}

/** -std from the fragments, else from languageStandard; the other fragments as flags. */
function languageSettings(group: CmakeCompileGroup, kind: TargetKind): Settings {
  const all = args(group.compileCommandFragments);
  const std = all.filter((a) => a.startsWith('-std=')).at(-1)?.slice('-std='.length);
  // replibuild adds -fPIC to shared libraries (and the static ones they link) itself.
  const flags = all.filter((a) => !a.startsWith('-std=') && !(kind === 'shared' && a === '-fPIC'));
  const standard = group.languageStandard?.standard;
  const fromStandard = standard ? (group.language === 'C' ? `c${standard}` : `c++${standard}`) : undefined;
  const out: Settings = { flags };
  const s = std ?? fromStandard;
  if (s !== undefined) out.std = s;
  return out;
}

export function importCodemodel(model: CmakeCodemodel, opts: ImportOptions): ImportResult {
  const skipped: string[] = [];
  const notes: string[] = [];
  const taken = new Set<string>();
  const abs = (p: string, base: string) => (isAbsolute(p) ? p : resolve(base, p));
  const path = (p: string) => configPathOf(p, opts.root);

  // Which targets come in, under which names; artifacts name them on link lines.
  const names = new Map<string, string>();
  const byArtifact = new Map<string, CmakeTarget>();
  const interfaceLibs: string[] = [];
  for (const t of model.targets) {
    if (t.imported) {
      skipped.push(`${t.name}: an imported target (its files come from outside the build; link it through libs)`);
      continue;
    }
    if (t.type === 'UTILITY') {
      skipped.push(`${t.name}: a custom target (add_custom_target) runs commands, which replibuild does not`);
      continue;
    }
    if (t.type === 'INTERFACE_LIBRARY') {
      interfaceLibs.push(t.name);
      continue;
    }
    if (!KINDS[t.type]) {
      skipped.push(`${t.name}: target type ${t.type} is not one replibuild builds`);
      continue;
    }
    names.set(t.id, targetName(t.name, taken));
    for (const a of t.artifacts ?? []) byArtifact.set(abs(a.path, model.build), t);
  }
  if (interfaceLibs.length > 0) {
    notes.push(`INTERFACE libraries (${interfaceLibs.join(', ')}): CMake put their include dirs and defines into their users' settings`);
  }

  const drafts = new Map<string, TargetDraft>();
  for (const t of model.targets) {
    const name = names.get(t.id);
    if (name === undefined) continue;
    const draft = mapTarget(t, name);
    if (draft.sources.length === 0) {
      const said = skipped.some((line) => line.startsWith(`${t.name}: `));
      skipped.push(`${t.name}: ${said ? 'left out, as nothing else in it compiles' : 'no C or C++ source to compile'}`);
      continue;
    }
    drafts.set(t.id, draft);
  }
  // Deps on targets left out (or never importable) are dropped, with a word.
  for (const d of drafts.values()) {
    const kept = (d.deps ?? []).filter((dep) => [...drafts.values()].some((x) => x.name === dep));
    for (const gone of (d.deps ?? []).filter((x) => !kept.includes(x))) notes.push(`${d.name}: its dependency ${gone} was not imported`);
    d.deps = kept;
  }
  addRpaths([...drafts.values()]);

  const draft: ProjectDraft = {
    header: [
      `Imported from CMake (${model.source}) by replibuild init --from-cmake.`,
      'Each target lists the include dirs, defines and flags CMake resolved for it.',
    ],
    name: opts.name,
    targets: [...drafts.values()],
  };
  return { draft, skipped, notes };

  function mapTarget(t: CmakeTarget, name: string): TargetDraft {
    const kind = KINDS[t.type]!;
    const sources: string[] = [];
    const deps: string[] = [];
    const groups = new Set<number>();
    for (const s of t.sources ?? []) {
      const file = abs(s.path, model.source);
      if (s.compileGroupIndex === undefined) {
        // Objects of an OBJECT library it uses ($<TARGET_OBJECTS:x>, or linking it).
        const from = byArtifact.get(file);
        if (from && from.type === 'OBJECT_LIBRARY' && from.id !== t.id) pushNew(deps, names.get(from.id)!);
        continue;
      }
      const group = t.compileGroups?.[s.compileGroupIndex];
      if (!group || !LANGUAGES.has(group.language)) {
        skipped.push(`${t.name}: ${s.path} is ${group?.language ?? 'in no compile group'}; replibuild compiles C and C++`);
        continue;
      }
      if (s.isGenerated && !opts.exists(file)) {
        skipped.push(`${t.name}: ${s.path} is generated at build time by a custom command`);
        continue;
      }
      sources.push(path(file));
      groups.add(s.compileGroupIndex);
    }

    const includeDirs: string[] = [];
    const defines: string[] = [];
    const draft: TargetDraft = { name, kind, sources, comment: `CMake ${t.type} ${t.name}` };
    const seen = { includes: new Set<string>() };
    const usage = new Set<string>();
    for (const gi of [...groups].sort((a, b) => a - b)) {
      const g = t.compileGroups![gi]!;
      const settings = languageSettings(g, kind);
      if (g.language === 'C') {
        if (settings.std !== undefined) draft.c_std = settings.std;
        draft.c_flags = settings.flags;
      } else {
        if (settings.std !== undefined) draft.std = settings.std;
        draft.flags = settings.flags;
      }
      const inc = (g.includes ?? []).map((i) => i.path);
      const defs = (g.defines ?? []).map((d) => d.define);
      for (const dir of inc) {
        if (!opts.isDir(dir)) {
          if (!seen.includes.has(dir)) notes.push(`${t.name}: include dir ${dir} does not exist; left out`);
          seen.includes.add(dir);
          continue;
        }
        pushNew(includeDirs, path(dir));
      }
      for (const d of defs) pushNew(defines, d);
      usage.add(JSON.stringify([inc, defs]));
    }
    if (usage.size > 1) notes.push(`${t.name}: its C and C++ sources have different include dirs or defines in CMake; both get all of them`);
    draft.include_dirs = includeDirs;
    draft.defines = defines;
    if (kind !== 'static') Object.assign(draft, linkSettings(t, deps));
    draft.deps = deps;
    if (t.type === 'OBJECT_LIBRARY') draft.comment += ' (as a static library its users link)';
    if (t.type === 'MODULE_LIBRARY') draft.comment += ' (as a shared library)';
    return draft;
  }

  /** The link line: project targets → deps, -l and library files → libs, the rest → link_flags. */
  function linkSettings(t: CmakeTarget, deps: string[]): Pick<TargetDraft, 'libs' | 'link_flags'> {
    const libs: string[] = [];
    const linkFlags: string[] = [];
    for (const f of t.link?.commandFragments ?? []) {
      for (const a of args([f])) {
        if (f.role !== 'libraries') {
          linkFlags.push(a);
          continue;
        }
        const target = a.startsWith('-') ? undefined : byArtifact.get(abs(a, model.build));
        if (target) {
          if (target.id !== t.id && names.has(target.id)) pushNew(deps, names.get(target.id)!);
        } else if (a.startsWith('-l') && a.length > 2) {
          pushNew(libs, a.slice(2));
        } else if (a.startsWith('-Wl,-rpath,') && a.slice('-Wl,-rpath,'.length).split(':').every((p) => isUnder(p, model.build))) {
          // CMake's build-tree rpath to its own outputs; replibuild's outputs get their own.
        } else if (a.startsWith('-')) {
          linkFlags.push(a);
        } else {
          pushNew(libs, path(abs(a, model.build)));
        }
      }
    }
    return { libs, link_flags: linkFlags };
  }
}

/** Programs and shared libraries that link a project shared library find it where
 *  replibuild puts it (build/lib), from wherever the build dir lies. */
function addRpaths(drafts: TargetDraft[]): void {
  const byName = new Map(drafts.map((d) => [d.name, d]));
  const linksShared = (d: TargetDraft, seen = new Set<string>()): boolean =>
    (d.deps ?? []).some((dep) => {
      if (seen.has(dep)) return false;
      seen.add(dep);
      const x = byName.get(dep);
      return x !== undefined && (x.kind === 'shared' || linksShared(x, seen));
    });
  for (const d of drafts) {
    if (d.kind === 'static' || !linksShared(d)) continue;
    d.link_flags = [...(d.link_flags ?? []), d.kind === 'executable' ? '-Wl,-rpath,$ORIGIN/../lib' : '-Wl,-rpath,$ORIGIN'];
  }
}
