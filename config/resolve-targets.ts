// Targets resolved against one set of compiler settings: include dirs propagated
// from deps, [compiler]'s lists before the target's own, build and link order, and
// output paths under one build dir. Pure: it runs once per profile, on every config
// load and for each profile a build or a request names.
import type { CompilerSettings, ResolvedTarget, TargetKind, TargetSettings } from './types.js';
import { linkOrder, topologicalOrder, type DepGraph } from './target-graph.js';

/** Target name → its deps that are targets, in the order the toml lists them. */
export function graphOf(targets: readonly Pick<TargetSettings, 'name' | 'deps'>[]): DepGraph {
  const names = new Set(targets.map((s) => s.name));
  return new Map(targets.map((s) => [s.name, s.deps.filter((d) => names.has(d))]));
}

/** `settings` in file order (it decides the order among independent targets). */
export function resolveTargets(
  settings: readonly TargetSettings[],
  sourcesOf: (target: string) => string[],
  compiler: CompilerSettings,
  buildDir: string,
): ResolvedTarget[] {
  const graph = graphOf(settings);
  const byName = new Map(settings.map((s) => [s.name, s]));
  return topologicalOrder(graph).map((name) => {
    const s = byName.get(name)!;
    const linkDeps = linkOrder(name, graph);
    return {
      name,
      kind: s.kind,
      sources: sourcesOf(name),
      include_dirs: unique([
        ...s.include_dirs,
        ...s.public_include_dirs,
        ...linkDeps.flatMap((d) => byName.get(d)!.public_include_dirs),
        ...compiler.include_dirs,
      ]),
      defines: [...compiler.defines, ...s.defines],
      flags: [...compiler.flags, ...s.flags],
      c_flags: [...compiler.c_flags, ...s.c_flags],
      std: s.std ?? compiler.std,
      c_std: s.c_std ?? compiler.c_std,
      pch: s.pch ?? compiler.pch,
      deps: s.deps,
      link_deps: linkDeps,
      libs: [...compiler.libs, ...s.libs],
      link_flags: [...compiler.link_flags, ...s.link_flags],
      output: outputPath(buildDir, name, s.kind),
      obj_dir: `${buildDir}/obj/${name}`,
    };
  });
}

function outputPath(buildDir: string, name: string, kind: TargetKind): string {
  switch (kind) {
    case 'executable':
      return `${buildDir}/bin/${name}`;
    case 'static':
      return `${buildDir}/lib/lib${name}.a`;
    case 'shared':
      return `${buildDir}/lib/lib${name}.so`;
  }
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
