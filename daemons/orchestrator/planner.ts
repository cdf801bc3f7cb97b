// What does this build have to do? Pure: the filesystem is seen only through
// the FileHasher, the last build only through the BuildState, so a plan can be
// tested with a fake hasher and no compiler.
//
// A TU is dirty when its compiler or command line changed, its object is gone
// or not the one we produced, its source or any header its last depfile named
// changed or vanished, or a file now exists that the compiler would find before
// one of those headers (include-search.ts). A target relinks when its link command changed,
// its output is missing or replaced, or any input (object, dep output) differs.

import type { CompileJob } from '../../protocol/build.js';
import type { PchUse, RebuildReason } from '../../protocol/trace.js';
import type { ProjectConfig, ResolvedTarget, TargetKind } from '../../config/types.js';
import type { BuildStateReader, FileHashRecord, LinkRecord, ObjectRecord } from './build-state.js';
import {
  compileCommandHash,
  compileJobFor,
  compilerOf,
  linkCommandFor,
  linkCommandHash,
  objectPathFor,
} from '../../toolchain/compile-args.js';
import { pchPayoff } from './pch-payoff.js';
import type { FileHasher } from './file-hasher.js';
import { findShadowing, type ShadowCheckTu } from './include-search.js';
import type { PchLayout, PchNode } from './pch-plan.js';
import { withPch } from '../../toolchain/pch-jobs.js';
import { compactJob } from './compact-strings.js';
import { startWindowed } from './start-window.js';
import { StringPool } from '../common/string-pool.js';
import { KeptTu, keptFrom, type KeptFrom, type TuFacts } from './kept-plan.js';

export class UnknownTargetError extends Error {
  constructor(
    readonly target: string,
    readonly known: string[],
  ) {
    super(
      `unknown target "${target}": replibuild.toml defines ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'no targets'}`,
    );
    this.name = 'UnknownTargetError';
  }
}

export interface TuPlan {
  target: string;
  source: string;
  object: string;
  job: CompileJob;
  /** The identity of the compiler that compiles it (the C or the C++ one). */
  compiler_id: string;
  command_hash: string;
  dirty: boolean;
  /** Why it must compile (the header that changed, ...); null when up to date. */
  reason: RebuildReason | null;
  /** The precompiled header `job` compiles with, and the job without it (the fallback). */
  pch?: PchNode;
  plain?: CompileJob;
}

/**
 * A TU's plan, built as one object literal. A spread (`{ ...spec, dirty, reason }`) at a
 * call site that has seen several shapes makes V8 give every result a hidden class of
 * its own: measured, 6 MB of the orchestrator's heap at 20,000 TUs for the plan it keeps.
 */
export function tuPlanOf(s: Omit<TuPlan, 'dirty' | 'reason'>, reason: RebuildReason | null, job: CompileJob = s.job): TuPlan {
  const tu: TuPlan = { target: s.target, source: s.source, object: s.object, job, compiler_id: s.compiler_id, command_hash: s.command_hash, dirty: reason !== null, reason };
  if (s.pch !== undefined) tu.pch = s.pch;
  if (s.plain !== undefined) tu.plain = s.plain;
  return tu;
}

export interface LinkPlan {
  target: string;
  kind: TargetKind;
  output: string;
  command_hash: string;
  /** Objects then dep outputs, as the link reads them. */
  inputs: string[];
  /** Whether it will (probably) relink. Where objects are yet to be recompiled, the
   *  engine decides for sure once they exist: an identical object needs no relink. */
  relink: boolean;
  reason: RebuildReason | null;
}

export interface BuildPlan {
  /** Requested targets and their deps, in dependency order. */
  targets: ResolvedTarget[];
  tus: TuPlan[];
  /** The precompiled headers its TUs use, each planned like a TU (source: the generated
   *  header, object: the .gch); they compile before their users and link nowhere. */
  pchs: TuPlan[];
  /** Every PCH planned, used or not, and why (for the trace and `status`). */
  pch_uses: PchUse[];
  links: LinkPlan[];
  dirty_tus: number;
  relinks: number;
  /** Made from the last build's plan (edit-plan.ts): its clean TUs' objects are as the
   *  last build left them, vouched for as a no-op vouches for outputs. */
  from_last?: true;
}

export interface PlanInput {
  config: ProjectConfig;
  /** Requested target names; empty = all. */
  targets: string[];
  state: BuildStateReader;
  /** The C++ compiler (its TUs, and every link). */
  compiler: { id: string };
  /** The C compiler; needed when the targets have C sources. */
  cCompiler?: { id: string };
  hasher: FileHasher;
  build_id?: string;
  /** From the discovery journal: true for a watched file known not to have changed since
   *  the last complete build, so its hash need not be looked at. A TU whose source and
   *  headers are all unchanged, with the same command and compiler, is up to date
   *  without a look at its object either. Absent: every file is hashed. */
  unchanged?: (path: string) => boolean;
  /** Sources that must recompile whatever their hashes say, with why (a new header that
   *  may shadow one they include: the old header did not change, the resolution did). */
  forceDirty?: ReadonlyMap<string, RebuildReason>;
  /** The precompiled headers to use (pch-plan.ts); absent: none. */
  pch?: PchLayout;
}

/** The requested targets plus everything they depend on, in the config's dependency order. */
export function selectTargets(config: ProjectConfig, requested: readonly string[]): ResolvedTarget[] {
  if (requested.length === 0) return [...config.targets];
  const byName = new Map(config.targets.map((t) => [t.name, t]));
  const known = config.targets.map((t) => t.name);
  const wanted = new Set<string>();
  const visit = (name: string) => {
    if (wanted.has(name)) return;
    const t = byName.get(name);
    if (!t) return;
    wanted.add(name);
    for (const d of [...t.deps, ...t.link_deps]) visit(d);
  };
  for (const name of requested) {
    if (!byName.has(name)) throw new UnknownTargetError(name, known);
    visit(name);
  }
  return config.targets.filter((t) => wanted.has(t.name));
}

/** Why `rec` does not describe an object compiled now, or null when it does. */
export async function tuReason(
  tu: { source: string; object: string; command_hash: string },
  rec: ObjectRecord | undefined,
  compilerId: string,
  hasher: FileHasher,
  hints: Pick<PlanInput, 'unchanged' | 'forceDirty'>,
): Promise<RebuildReason | null> {
  if (!rec) return { kind: 'no-previous-build' };
  if (rec.compiler_id !== undefined && rec.compiler_id !== compilerId) return { kind: 'compiler-changed' };
  if (rec.command_hash !== tu.command_hash) return { kind: 'flags-changed' };
  const forced = hints.forceDirty?.get(tu.source);
  if (forced !== undefined) return forced;
  // Files the journal vouches for keep the hashes on record (a hash recorded as '',
  // changed while it compiled, is looked at again); the object is always checked.
  const unchanged = hints.unchanged;
  const vouched =
    unchanged !== undefined &&
    rec.source_hash !== '' &&
    unchanged(tu.source) &&
    rec.headers.every((h) => h.hash !== '' && unchanged(h.path));
  const [objectHash, sourceHash, headerHashes] = vouched
    ? [await hasher.hash(tu.object), rec.source_hash, rec.headers.map((h) => h.hash)]
    : await Promise.all([hasher.hash(tu.object), hasher.hash(tu.source), Promise.all(rec.headers.map((h) => hasher.hash(h.path)))]);
  // A PCH that failed to build has no object, and is not tried again until it changes.
  if (objectHash === null && !rec.pch_rejected) return { kind: 'object-missing' };
  if (sourceHash === null) return { kind: 'source-missing' };
  if (sourceHash !== rec.source_hash) return { kind: 'source-changed' };
  for (let i = 0; i < rec.headers.length; i++) {
    const h = rec.headers[i]!;
    const now = headerHashes[i];
    if (now === null) return { kind: 'header-removed', header: h.path };
    if (now !== h.hash) return { kind: 'header-changed', header: h.path };
  }
  // Last: an edit's object compiled ahead of the build (compile-ahead.ts) is replaced
  // too, and what the user did was edit the source.
  if (rec.object_hash !== undefined && rec.object_hash !== objectHash) return { kind: 'object-changed' };
  return null;
}

/**
 * Marks dirty the TUs, up to date so far, for which a file now exists that the compiler
 * would find before a header it read (a new b/foo.h under -Ib -Ia, a foo.h beside the
 * source, a project file named like a system header).
 *
 * This runs with the journal's `unchanged` hint too. Skipping it there would be sound
 * only for candidates in watched dirs (a watched path not in the journal was not added
 * since the last build, and discovery's forceDirty names the TUs an addition may
 * shadow); the compiler's own dirs, dirs outside the project, the build dir and ignored
 * paths are not watched and must be looked at anyway. The look costs one listing per
 * directory along the include names, however many TUs there are, so it is not worth
 * a second, journal-shaped, way of doing it.
 */
async function markShadowed(tus: TuPlan[], state: BuildStateReader, hasher: FileHasher): Promise<void> {
  const clean: TuPlan[] = [];
  const checks: ShadowCheckTu[] = [];
  for (const u of tus) {
    if (u.dirty) continue;
    const rec = state.getObject(u.object)!;
    const search = rec.search !== undefined ? state.getSearch?.(rec.search) : undefined;
    if (!search) {
      // Recorded by an older version, or its context was lost: nothing vouches for the lookup.
      u.dirty = true;
      u.reason = { kind: 'search-unrecorded' };
      continue;
    }
    clean.push(u);
    checks.push({ search, searchId: rec.search!, headers: rec.headers, skip: rec.shadow_skip });
  }
  const found = await findShadowing(checks, hasher);
  clean.forEach((u, i) => {
    const c = found[i];
    if (c === null || c === undefined) return;
    u.dirty = true;
    u.reason = { kind: 'header-shadowed', header: c };
  });
}

/** Why a link with these inputs must run, or null when `rec` says its output is current. */
export function linkReason(
  rec: LinkRecord | undefined,
  command_hash: string,
  inputs: readonly FileHashRecord[],
  outputHash: string | null,
): RebuildReason | null {
  if (!rec) return { kind: 'no-previous-build' };
  if (rec.command_hash !== command_hash) return { kind: 'link-command-changed' };
  if (outputHash === null) return { kind: 'output-missing' };
  if (rec.output_hash !== undefined && rec.output_hash !== outputHash) return { kind: 'output-changed' };
  if (rec.inputs.length !== inputs.length) return { kind: 'inputs-changed' };
  for (let i = 0; i < inputs.length; i++) {
    const a = inputs[i]!;
    const b = rec.inputs[i]!;
    if (a.path !== b.path) return { kind: 'inputs-changed' };
    if (a.hash === '' || a.hash !== b.hash) return { kind: 'input-changed', input: a.path };
  }
  return null;
}

/** Hashes of `paths` as link inputs; a missing one hashes to "" (never matches). */
export async function hashInputs(paths: readonly string[], hasher: FileHasher): Promise<FileHashRecord[]> {
  // A window at a time, as the TUs' reasons: a link of 20,000 objects.
  const hashes = await Promise.all(startWindowed(paths, (p) => hasher.hash(p), REASON_WINDOW));
  return paths.map((path, i) => ({ path, hash: hashes[i] ?? '' }));
}

/** `hasher`'s hash(), answering each path from its first answer during one plan. */
function memoHasher(hasher: FileHasher): FileHasher {
  const seen = new Map<string, Promise<string | null>>();
  return {
    hash: (p: string) => {
      let h = seen.get(p);
      if (!h) seen.set(p, (h = hasher.hash(p)));
      return h;
    },
  };
}

/** TUs whose reasons are looked for at once. Each holds its frames and its files' hash
 *  promises while it waits: all of a 20,000-TU plan at once (a full plan with a state,
 *  as an edit the journal cannot vouch for makes) took the orchestrator's RSS from 140
 *  to 228 MB. The look is the hasher's synchronous stats and reads but for big files, so
 *  a window costs no parallelism worth having. */
const REASON_WINDOW = 256;

export async function planBuild(input: PlanInput): Promise<BuildPlan> {
  const { config, state, hasher } = input;
  const compilerId = input.compiler.id;
  const compilers = { cxx: compilerId, ...(input.cCompiler ? { cc: input.cCompiler.id } : {}) };
  const targets = selectTargets(config, input.targets);

  // Hundreds of TUs share their (system) headers: each file is looked at once per plan.
  // A file changing during the plan is caught no later than it would be otherwise: the
  // engine re-hashes what a compile read, before and after it.
  const once = memoHasher(hasher);
  const withId = (job: CompileJob) => (input.build_id !== undefined ? { ...job, build_id: input.build_id } : job);
  const pchs: TuPlan[] = await Promise.all(
    (input.pch?.nodes ?? []).map(async (node) => {
      const job = withId(node.job);
      const compiler_id = compilerOf(compilers, node.users[0]!);
      const s = { target: node.target, source: node.header, object: node.gch, job, compiler_id, command_hash: compileCommandHash(job, compiler_id), pch: node };
      const reason = await tuReason(s, state.getObject(s.object), compiler_id, once, input);
      return tuPlanOf(s, reason);
    }),
  );
  await markShadowed(pchs, state, hasher);
  // A PCH that did not work last time, and has not changed since, is not used (pch-steps.ts);
  // nor one measured not to pay (pch-payoff.ts).
  const pch_uses: PchUse[] = pchs.map((p) => {
    const node = p.pch!;
    const t = targets.find((x) => x.name === node.target)!;
    const rec = state.getObject(p.object);
    const { pays, saved_ms, estimated } = pchPayoff(rec?.compile_ms, node.users.map((u) => state.getObject(objectPathFor(t, u)) ?? {}));
    const why = !p.dirty && rec?.pch_rejected ? 'the compiler refused it, or it failed to build' : pays === false ? 'does not pay' : undefined;
    const use: PchUse = { target: node.target, header: node.header, users: node.users.length, used: why === undefined };
    if (rec?.compile_ms !== undefined) use.build_ms = rec.compile_ms;
    if (saved_ms !== undefined) use.saved_ms = saved_ms;
    if (estimated) use.estimated = true;
    if (why !== undefined) use.why = why;
    return use;
  });
  const usable = new Set(pchs.filter((_, i) => pch_uses[i]!.used).map((p) => p.pch!));

  // A TU with a precompiled header holds its jobs (they change as it compiles: pch-steps.ts),
  // sharing their strings; any other makes its job when asked (kept-plan.ts): 20,000 jobs
  // held from the plan to the build's end were its peak.
  const pool = new StringPool();
  type Spec = TuFacts & { from: KeptFrom } & Partial<Pick<TuPlan, 'job' | 'pch' | 'plain'>>;
  const tuSpecs = targets.flatMap((t): Spec[] => {
    const seen = new Set<string>();
    const from = keptFrom(config, t, input.build_id);
    return t.sources.flatMap((source) => {
      const made = compileJobFor(config, t, source, from.opts);
      if (seen.has(made.object)) return [];
      seen.add(made.object);
      const compiler_id = compilerOf(compilers, source);
      const node = input.pch?.nodeFor(t.name, source);
      const spec = { target: t.name, source, object: made.object, compiler_id, from };
      if (!node || !usable.has(node)) return [{ ...spec, command_hash: compileCommandHash(made, compiler_id) }];
      const plain = compactJob(made, pool);
      const job = withPch(plain, node.header, node.gch);
      return [{ ...spec, command_hash: compileCommandHash(job, compiler_id), job, pch: node, plain }];
    });
  });
  const rebuiltPchs = new Set(pchs.filter((p) => p.dirty).map((p) => p.pch!));
  const tus: TuPlan[] = await Promise.all(
    startWindowed(
      tuSpecs,
      async (s) => {
        let reason = await tuReason(s, state.getObject(s.object), s.compiler_id, once, input);
        // Its PCH is about to change: whatever its own files say, it compiles again after.
        if (reason === null && s.pch && rebuiltPchs.has(s.pch)) reason = { kind: 'pch-rebuilt', header: s.pch.header };
        return s.job ? tuPlanOf({ ...s, job: s.job }, reason) : new KeptTu(s, reason, s.from);
      },
      REASON_WINDOW,
    ),
  );
  await markShadowed(tus, state, hasher);

  const links: LinkPlan[] = [];
  const relinking = new Set<string>();
  for (const t of targets) {
    const cmd = linkCommandFor(config, t, t.output);
    const command_hash = linkCommandHash(config, t, compilerId);
    const inputsPaths = [...cmd.objects, ...cmd.dep_outputs];
    let reason: RebuildReason | null = null;
    const dirtyTu = tus.find((u) => u.target === t.name && u.dirty);
    const depRelinking = t.kind === 'static' ? undefined : t.link_deps.find((d) => relinking.has(d));
    const rec = state.getLink(t.name);
    if (!rec) reason = { kind: 'no-previous-build' };
    else if (dirtyTu) reason = { kind: 'object-recompiled', object: dirtyTu.object };
    else if (depRelinking) reason = { kind: 'dependency-relinked', target: depRelinking };
    else {
      const [inputs, outputHash] = await Promise.all([hashInputs(inputsPaths, hasher), hasher.hash(t.output)]);
      reason = linkReason(rec, command_hash, inputs, outputHash);
    }
    if (reason !== null) relinking.add(t.name);
    links.push({
      target: t.name,
      kind: t.kind,
      output: t.output,
      command_hash,
      inputs: inputsPaths,
      relink: reason !== null,
      reason,
    });
  }

  return {
    targets,
    tus,
    pchs: pchs.filter((p) => usable.has(p.pch!) && tus.some((u) => u.pch === p.pch)),
    pch_uses,
    links,
    dirty_tus: tus.filter((u) => u.dirty).length,
    relinks: relinking.size,
  };
}
