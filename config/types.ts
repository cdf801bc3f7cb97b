// The configuration as the code uses it: replibuild.toml and daemon_config.toml after
// defaults, validation and resolution. Setup serves it over the wire (protocol/setup.ts).
import type { DaemonName } from './daemon-names.js';

/** One problem in a TOML file, pinned to where the user can fix it. */
export interface ConfigIssue {
  file: string;
  line: number | null;
  column: number | null;
  /** Dotted key path, e.g. "daemons.compilation.max_cache_size". */
  key?: string;
  message: string;
}

/** .replibuild/daemon_config.toml after defaults and validation. */
export interface DaemonConfig {
  enabled: Record<DaemonName, boolean>;
  /** Port per daemon; 0 = any free port (the chosen one is recorded in <name>.json). */
  ports: Record<DaemonName, number>;
  discovery: {
    watch_interval: number;
    ignored_patterns: string[];
    /** Poll at watch_interval instead of native events. */
    use_polling: boolean;
  };
  compilation: {
    max_cache_size: number;
    cache_ttl: number;
    parallel_jobs: number;
    /** redis:// or rediss:// URL of the shared cache; '' = local only. */
    remote_cache: string;
    remote_cache_mode: 'read-write' | 'read-only';
    remote_cache_timeout_ms: number;
    /** distcc host list (distcc's syntax) for cache misses; '' = DISTCC_HOSTS of the
     *  daemons' environment applies ("localhost": local only, whatever it says). */
    distcc_hosts: string;
  };
  orchestrator: {
    queue_size: number;
    timeout: number;
    /** Compile a saved source of the last build before the next build asks (compile-ahead.ts). */
    compile_ahead: boolean;
  };
}

export type TargetKind = 'executable' | 'static' | 'shared';

/** `pch`: "auto" lets replibuild precompile the include prefix a target's TUs share
 *  (daemons/orchestrator/pch-*.ts); "off" compiles every TU as written. */
export type PchMode = 'auto' | 'off';
export const PCH_MODES: readonly PchMode[] = ['auto', 'off'];

/** A target of replibuild.toml with project-wide settings and its deps' public dirs folded in.
 *  Paths are relative to the project root unless noted; sources are the expanded globs. */
export interface ResolvedTarget {
  name: string;
  kind: TargetKind;
  sources: string[];
  /** Private, then own public, then deps' public (transitively), then [compiler] include_dirs. */
  include_dirs: string[];
  defines: string[];
  /** C++ compile flags: [compiler] flags then the target's own. */
  flags: string[];
  /** C compile flags (for its `.c` sources): [compiler] c_flags then the target's own. */
  c_flags: string[];
  /** Language standards of its C++ and C sources: the target's own, else [compiler]'s. */
  std: string;
  c_std: string;
  /** Automatic precompiled headers for its TUs: the target's own, else [compiler]'s. */
  pch: PchMode;
  /** Direct deps, as named in the toml. */
  deps: string[];
  /** Every target this one links, transitively, in link order (dependents before dependencies). */
  link_deps: string[];
  libs: string[];
  link_flags: string[];
  /** Output path relative to the project root: build/bin/NAME, build/lib/libNAME.a or .so. */
  output: string;
  /** Object dir relative to the project root: build/obj/NAME. */
  obj_dir: string;
}

/** What a [compiler] table holds. A [profiles.NAME] table holds any part of it: its
 *  list keys add to [compiler]'s, its other keys replace them (config/profiles.ts). */
export interface CompilerSettings {
  cxx: string;
  std: string;
  cc: string;
  c_std: string;
  pch: PchMode;
  flags: string[];
  c_flags: string[];
  defines: string[];
  include_dirs: string[];
  link_flags: string[];
  libs: string[];
}

/** One build profile: [profiles.NAME], or a built-in one (debug, release). */
export interface ProfileConfig {
  /** build_dir for the default profile, `<build_dir>-NAME` for any other. */
  build_dir: string;
  /** Only the keys the profile sets. */
  compiler: Partial<CompilerSettings>;
}

/** A target's own settings as written in its table, its sources aside (they are the
 *  same in every profile: see ProjectConfig.targets). */
export interface TargetSettings {
  name: string;
  kind: TargetKind;
  include_dirs: string[];
  public_include_dirs: string[];
  defines: string[];
  flags: string[];
  c_flags: string[];
  /** Absent: [compiler]'s (after the profile). */
  std?: string;
  c_std?: string;
  pch?: PchMode;
  deps: string[];
  libs: string[];
  link_flags: string[];
}

/** replibuild.toml after validation and resolution, for one build profile. */
export interface ProjectConfig {
  root: string;
  name: string;
  /** The profile's build dir (see ProfileConfig.build_dir). */
  build_dir: string;
  compiler: {
    /** The C++ compiler command as configured or detected, e.g. "g++" or "/usr/bin/clang++";
     *  it also links every executable and shared library. */
    cxx: string;
    std: string;
    /** The C compiler command for `.c` sources, e.g. "gcc" or "clang". */
    cc: string;
    c_std: string;
  };
  /** Write compile_commands.json at the root ([project] compile_commands). */
  compile_commands: boolean;
  /** Targets in dependency order: every target comes after the ones it depends on. */
  targets: ResolvedTarget[];
  /** Every file the config was read from, for watchers. */
  files: string[];
  /** The profile this config is resolved for; configForProfile (config/profiles.ts) gives another. */
  profile: string;
  /** [project] default_profile: the profile of a build that names none. */
  default_profile: string;
  /** Every profile, the built-in ones included. */
  profiles: Record<string, ProfileConfig>;
  /** [compiler] with its defaults: what every profile adds to. */
  base_compiler: CompilerSettings;
  /** The targets' own settings, in the order the file lists them: what a profile is resolved from. */
  target_settings: TargetSettings[];
}
