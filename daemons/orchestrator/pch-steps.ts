// The precompiled headers of one build, as it runs: each dirty PCH compiles once,
// before its users start; a PCH that fails to build, or that the compiler will not
// take, never fails the build.
//
// - A failed PCH compile: its users compile with their plain command (as with
//   pch = "off"), and its record says so (pch_rejected), so later builds do not try it
//   again until it changes (another prefix, flags, compiler, or its header edited).
// - gcc with -Winvalid-pch warns about a .gch it cannot use and reads the header text
//   instead: the object is right; the PCH is marked rejected so the next build stops
//   forcing it in.
// - clang fails on a PCH it cannot use: that TU compiles again without it, and the
//   PCH is marked rejected.

import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CompileJob, CompileResult } from '../../protocol/build.js';
import { compileCommandHash } from '../../toolchain/compile-args.js';
import type { BuildState, ObjectRecord, SearchContext } from './build-state.js';
import type { PchNode } from './pch-plan.js';
import type { TuPlan } from './planner.js';
import type { TraceRecorder } from './build-trace.js';

/** The compile cache does not store a result whose input changed within its racy window
 *  (50 ms, cache/fs-snapshot.ts) of the compile's start: users of a .gch written just now
 *  wait that long, or the first few would not be cached. */
export const PCH_SETTLE_MS = 60;

/** Waits until `abs` was last written PCH_SETTLE_MS ago: the generated header is
 *  written at planning (in a fresh build dir, always), the .gch by its compile or
 *  restore, and a compile reading either sooner would not be cached. */
async function settled(abs: string): Promise<void> {
  const st = statSync(abs, { throwIfNoEntry: false });
  if (!st) return;
  const left = Math.max(st.mtimeMs, st.ctimeMs) + PCH_SETTLE_MS - Date.now();
  if (left > 0) await new Promise((r) => setTimeout(r, Math.ceil(left)));
}

/** Whether the compiler said it did not use `gch` (gcc's -Winvalid-pch warning, clang's
 *  errors about a PCH file). */
export function pchRefused(stderr: string, gch: string): boolean {
  if (stderr === '') return false;
  const name = gch.slice(gch.lastIndexOf('/') + 1);
  if (stderr.includes('[-Winvalid-pch]') && stderr.includes(name)) return true;
  return /PCH file|precompiled (header|PCH)|not a valid precompiled/i.test(stderr) && stderr.includes(name.replace(/\.gch$/, ''));
}

export interface PchStepDeps {
  state: BuildState;
  compile(job: CompileJob): Promise<CompileResult>;
  /** Runs `fn` in a job slot ahead of queued compiles. */
  inSlot<T>(fn: () => Promise<T>): Promise<T>;
  /** The engine's own bookkeeping of a compile (hashes before, the record after). */
  hashBefore(tu: TuPlan): Promise<Map<string, string | null>>;
  record(tu: TuPlan, res: CompileResult, before: Map<string, string | null>, sinceMs: number): Promise<{ rec: ObjectRecord; search: SearchContext } | null>;
  searchOf(job: CompileJob, sinceMs: number): Promise<SearchContext>;
  hash(path: string): Promise<string | null>;
  saved(): void;
  trace: Pick<TraceRecorder, 'begin' | 'compile'>;
  note(text: string): void;
  /** A PCH compile ran (or came from the cache). */
  built(plan: TuPlan, res: CompileResult): void;
}

export class PchSteps {
  private readonly ready = new Map<PchNode, Promise<boolean>>();
  private readonly plans = new Map<PchNode, TuPlan>();
  private readonly refused = new Set<PchNode>();

  constructor(
    pchs: readonly TuPlan[],
    private readonly d: PchStepDeps,
  ) {
    for (const p of pchs) {
      this.plans.set(p.pch!, p);
      if (!p.dirty) this.ready.set(p.pch!, Promise.resolve(true));
    }
  }

  /** Waits for `tu`'s PCH; when there is none to use, `tu` is switched to its plain job. */
  async prepare(tu: TuPlan): Promise<void> {
    if (!tu.pch) return;
    const node = tu.pch;
    let p = this.ready.get(node);
    if (!p) this.ready.set(node, (p = this.build(node)));
    if (!(await p) || this.refused.has(node)) this.unplug(tu);
  }

  /** After `tu` compiled with its PCH: the result to keep (compiled again without the PCH
   *  when the compiler refused it with an error). */
  async checked(tu: TuPlan, res: CompileResult): Promise<CompileResult> {
    const node = tu.pch;
    if (!node || tu.job.pch === undefined || !pchRefused(res.stderr, node.gch)) return res;
    this.refuse(node, `${node.gch} was not accepted by the compiler; its users compile without it`);
    if (res.outcome !== 'failed') return res; // gcc: the header text was read instead
    this.unplug(tu);
    return this.d.compile(tu.job);
  }

  private unplug(tu: TuPlan): void {
    if (!tu.plain) return;
    tu.job = tu.plain;
    tu.command_hash = compileCommandHash(tu.plain, tu.compiler_id);
  }

  private refuse(node: PchNode, why: string): void {
    if (this.refused.has(node)) return;
    this.refused.add(node);
    const rec = this.d.state.getObject(node.gch);
    if (rec) {
      this.d.state.setObject(node.gch, { ...rec, pch_rejected: true });
      this.d.saved();
    }
    this.d.note(why);
  }

  private async build(node: PchNode): Promise<boolean> {
    const plan = this.plans.get(node)!;
    await settled(resolve(plan.job.cwd, node.header));
    const sinceMs = Date.now();
    const before = await this.d.hashBefore(plan);
    const res = await this.d.inSlot(async () => {
      const slot = this.d.trace.begin();
      let r: CompileResult | null = null;
      try {
        r = await this.d.compile(plan.job);
      } catch {
        r = null; // cancelled: its users find out themselves
      }
      this.d.trace.compile(plan, slot, r);
      return r;
    });
    if (res === null) return false;
    this.d.built(plan, res);
    if (res.outcome === 'failed') {
      // Recorded as tried, with what it was tried from: the next plan sees it unchanged and rejected.
      const source_hash = (await this.d.hash(plan.source)) ?? '';
      const search = await this.d.searchOf(plan.job, sinceMs);
      this.d.state.setObject(node.gch, { command_hash: plan.command_hash, compiler_id: res.compiler_id || plan.compiler_id, source: plan.source, source_hash, headers: [], pch_rejected: true }, search);
      this.d.saved();
      this.d.note(`the precompiled header ${node.header} did not compile; its users compile without it:\n${res.stderr}`);
      return false;
    }
    const rec = await this.d.record(plan, res, before, sinceMs);
    if (!rec) return false;
    if (res.outcome === 'compiled') rec.rec.compile_ms = res.duration_ms;
    this.d.state.setObject(node.gch, rec.rec, rec.search);
    this.d.saved();
    await settled(resolve(plan.job.cwd, node.gch));
    return true;
  }
}

/** The times a new record of `tu` keeps (pch-payoff.ts): this compile's, as with or
 *  without its PCH, and the other kind carried over from the last record. */
export function keepTimes(rec: ObjectRecord, compileMs: number | undefined, withPch: boolean | null, prev: ObjectRecord | undefined): void {
  if (compileMs !== undefined) rec.compile_ms = compileMs;
  const pch = withPch === true ? compileMs : prev?.pch_ms;
  const plain = withPch === false ? compileMs : prev?.plain_ms;
  if (pch !== undefined) rec.pch_ms = pch;
  if (plain !== undefined) rec.plain_ms = plain;
}
