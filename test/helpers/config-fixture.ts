// Resolved configs built in memory, for tests that call the planner, the engine or the
// argument builders without a replibuild.toml. Every field the types require is filled
// here once, so a new config field means one edit, not one per test file.
import { DEFAULT_PROFILE } from '../../config/profiles.js';
import type { CompilerSettings, ProjectConfig, ResolvedTarget } from '../../config/types.js';

export type TargetSpec = Pick<ResolvedTarget, 'name' | 'kind' | 'sources'> & Partial<ResolvedTarget>;

/** A target as resolution leaves it: its output where resolution puts it, no flags, and
 *  PCH off (the tests that want one say so), unless `spec` says otherwise. */
export function resolvedTarget(spec: TargetSpec): ResolvedTarget {
  const output =
    spec.kind === 'executable' ? `build/bin/${spec.name}` : `build/lib/lib${spec.name}.${spec.kind === 'static' ? 'a' : 'so'}`;
  return {
    include_dirs: [],
    defines: [],
    flags: [],
    c_flags: [],
    std: 'c++17',
    c_std: 'c11',
    pch: 'off',
    deps: [],
    link_deps: [],
    libs: [],
    link_flags: [],
    output,
    obj_dir: `build/obj/${spec.name}`,
    ...spec,
  };
}

/** [compiler] with its defaults, as the base of every profile. */
export function compilerSettings(over: Partial<CompilerSettings> = {}): CompilerSettings {
  return { cxx: 'g++', std: 'c++17', cc: 'gcc', c_std: 'c11', pch: 'off', flags: [], c_flags: [], defines: [], include_dirs: [], link_flags: [], libs: [], ...over };
}

/** A project of `targets` at `root`, resolved for the default profile. */
export function projectConfig(root: string, targets: ResolvedTarget[], over: Partial<ProjectConfig> = {}): ProjectConfig {
  const base = compilerSettings(over.compiler);
  return {
    root,
    name: 'test',
    build_dir: 'build',
    compiler: { cxx: base.cxx, std: base.std, cc: base.cc, c_std: base.c_std },
    compile_commands: true,
    targets,
    files: [],
    profile: DEFAULT_PROFILE,
    default_profile: DEFAULT_PROFILE,
    profiles: {},
    base_compiler: base,
    target_settings: [],
    ...over,
  };
}
