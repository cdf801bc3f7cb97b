// Build profiles: [profiles.NAME] tables on top of [compiler] (list keys add to
// [compiler]'s, other keys replace them), each built in its own build dir so that
// switching profiles rebuilds nothing. The served config is resolved for the
// default profile; configForProfile gives any other, from the same config, wherever
// it is needed (the orchestrator, the compilation daemon's job guard, the CLI).
import type { CompilerSettings, ProfileConfig, ProjectConfig } from './types.js';
import { closestMatch } from './suggest.js';
import { resolveTargets } from './resolve-targets.js';

export const DEFAULT_PROFILE = 'debug';

/** What a profile adds when replibuild.toml has no table of its name. `debug` adds
 *  nothing, so a build without profiles is exactly what it was before they existed. */
export const BUILTIN_PROFILES: Readonly<Record<string, Partial<CompilerSettings>>> = {
  debug: {},
  // -O2 for C++ (flags) and C (c_flags) sources alike.
  release: { flags: ['-O2'], c_flags: ['-O2'], defines: ['NDEBUG'] },
};

/** Profile names become directory and file names. */
export const PROFILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** `base` with `profile` on top: a list adds to the base's list, anything else replaces
 *  it. Works key by key, so every [compiler] key is a profile key too. */
export function applyProfile(base: CompilerSettings, profile: Partial<CompilerSettings>): CompilerSettings {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(profile)) {
    if (value === undefined) continue;
    const under = out[key];
    out[key] = Array.isArray(under) && Array.isArray(value) ? [...under, ...value] : value;
  }
  return out as unknown as CompilerSettings;
}

/** The default profile builds where builds always went; another beside it. */
export function profileBuildDir(buildDir: string, profile: string, defaultProfile: string): string {
  return profile === defaultProfile ? buildDir : `${buildDir}-${profile}`;
}

/** A config without the parts that depend on the profile. */
export type ProfileFreeConfig = Omit<ProjectConfig, 'profile' | 'build_dir' | 'compiler' | 'targets'>;

/** The config of `profile` (a key of base.profiles). */
export function resolveProfile(base: ProfileFreeConfig, profile: string, sourcesOf: (target: string) => string[]): ProjectConfig {
  const p: ProfileConfig = base.profiles[profile]!;
  const compiler = applyProfile(base.base_compiler, p.compiler);
  // The scalar settings (the compiler command, the standard) are the config's `compiler`.
  // `pch` is per target (ResolvedTarget.pch), where its per-target value is resolved.
  const scalars = Object.fromEntries(Object.entries(compiler).filter(([k, v]) => !Array.isArray(v) && k !== 'pch'));
  return {
    root: base.root,
    name: base.name,
    build_dir: p.build_dir,
    compiler: scalars as ProjectConfig['compiler'],
    targets: resolveTargets(base.target_settings, sourcesOf, compiler, p.build_dir),
    compile_commands: base.compile_commands,
    files: base.files,
    profile,
    default_profile: base.default_profile,
    profiles: base.profiles,
    base_compiler: base.base_compiler,
    target_settings: base.target_settings,
  };
}

export class UnknownProfileError extends Error {
  constructor(
    readonly profile: string,
    readonly known: readonly string[],
  ) {
    const guess = closestMatch(profile, known);
    super(
      `unknown profile "${profile}"${guess ? ` (did you mean "${guess}"?)` : ''}: the profiles are ${known.join(', ')}; ` +
        `add a [profiles.${profile}] table to replibuild.toml to define it`,
    );
    this.name = 'UnknownProfileError';
  }
}

export function profileNames(config: Pick<ProjectConfig, 'profiles'>): string[] {
  return Object.keys(config.profiles).sort();
}

const resolved = new WeakMap<ProjectConfig, Map<string, ProjectConfig>>();

/** The config of `profile` ('' or undefined: the default profile). The same object for
 *  the same config and profile, so what callers derive from it can be kept with it.
 *  Throws UnknownProfileError. */
export function configForProfile(config: ProjectConfig, profile?: string): ProjectConfig {
  const want = profile || config.default_profile;
  if (want === config.profile) return config;
  let memo = resolved.get(config);
  const hit = memo?.get(want);
  if (hit) return hit;
  if (!Object.hasOwn(config.profiles, want)) throw new UnknownProfileError(want, profileNames(config));
  const sources = new Map(config.targets.map((t) => [t.name, t.sources]));
  const out = resolveProfile(config, want, (name) => sources.get(name) ?? []);
  if (!memo) resolved.set(config, (memo = new Map()));
  memo.set(want, out);
  return out;
}

/** Every profile's config, the default one first. */
export function allProfiles(config: ProjectConfig): ProjectConfig[] {
  const names = [config.default_profile, ...profileNames(config).filter((n) => n !== config.default_profile)];
  return names.map((n) => configForProfile(config, n));
}

/** Every profile's build dir, relative to the root: what no glob or watcher looks into. */
export function profileBuildDirs(config: Pick<ProjectConfig, 'profiles'>): string[] {
  return Object.values(config.profiles).map((p) => p.build_dir);
}
