// Why each step of a build ran, in words: the lines `replibuild why` and `compile
// --explain` print, and the text of the report's tooltips. One place turns the
// trace's typed reasons into text.

import type { BuildTrace, CacheLookup, RebuildReason, TraceStep } from '../protocol/trace.js';

export function reasonText(r: RebuildReason): string {
  switch (r.kind) {
    case 'no-previous-build':
      return 'no previous build';
    case 'compiler-changed':
      return 'compiler changed';
    case 'flags-changed':
      return 'flags changed (compile command: flags, defines, include dirs or std)';
    case 'object-missing':
      return 'object missing';
    case 'object-changed':
      return 'object replaced since the last build';
    case 'source-missing':
      return 'source missing';
    case 'source-changed':
      return 'source changed';
    case 'header-changed':
      return `header changed: ${r.header}`;
    case 'header-removed':
      return `header removed: ${r.header}`;
    case 'header-shadowed':
      return `new header may shadow an included one: ${r.header}`;
    case 'search-unrecorded':
      return 'include search paths not recorded';
    case 'pch-rebuilt':
      return `its precompiled header is rebuilt: ${r.header}`;
    case 'link-command-changed':
      return 'link command changed';
    case 'output-missing':
      return 'output missing';
    case 'output-changed':
      return 'output replaced since the last build';
    case 'inputs-changed':
      return 'inputs added or removed';
    case 'input-changed':
      return `input changed: ${r.input}`;
    case 'object-recompiled':
      return `object recompiled: ${r.object}`;
    case 'dependency-relinked':
      return `dependency relinked: ${r.target}`;
  }
}

export function cacheText(c: CacheLookup): string {
  switch (c.mode) {
    case 'direct':
      return 'cache hit (direct mode)';
    case 'preprocessed':
      return 'cache hit (preprocessor mode)';
    case 'depend':
    case 'preprocessor': {
      const m = c.miss;
      const why = m.kind === 'first-compile' ? 'first compile of this source text with this command and compiler' : m.kind === 'entries-stale' ? m.detail : 'its manifest could not be read';
      return `cache miss: ${why}`;
    }
    case 'uncacheable':
      return `not cacheable: ${c.detail}`;
    case 'off':
      return `cache not used: ${c.detail}`;
    case 'error':
      return 'cache error (see the compilation log)';
  }
}

/** What came of the step: "compiled in 1.20s (cache miss: ...)", "not relinked (inputs
 *  unchanged)"; without the time where a column shows it. */
export function outcomeText(s: TraceStep, withTime = true): string {
  const took = withTime && s.start !== undefined && s.end !== undefined ? ` in ${((s.end - s.start) / 1000).toFixed(2)}s` : '';
  const cache = s.cache ? ` (${cacheText(s.cache)})` : '';
  switch (s.outcome) {
    case 'compiled':
      return `compiled${took}${cache}`;
    case 'cached':
      if (s.kind === 'link') return `link from cache${took}`;
      return `from cache${s.cache?.mode === 'direct' || s.cache?.mode === 'preprocessed' ? ` (${s.cache.mode} mode)` : ''}${took}`;
    case 'linked':
      return `linked${took}`;
    case 'up-to-date':
      return s.kind === 'link' ? 'not relinked (inputs unchanged)' : 'up to date';
    case 'failed':
      return `failed${took}${cache}`;
    case 'skipped':
      return 'not built (the build stopped first)';
  }
}

/** One line per step: what, why, and what came of it. */
export function explainLine(s: TraceStep): string {
  return `${s.name}: ${s.reason ? reasonText(s.reason) : 'rebuilt'} → ${outcomeText(s)}`;
}

/** The steps `file` picks: a TU by source or object, a link by output or target, or
 *  every step a changed header or input made run. Paths are relative to the root. */
export function stepsFor(trace: BuildTrace, file: string): TraceStep[] {
  return trace.steps.filter((s) => {
    if (s.name === file || s.object === file || (s.kind === 'link' && s.target === file)) return true;
    const r = s.reason;
    return r !== null && (('header' in r && r.header === file) || ('input' in r && r.input === file));
  });
}

/** The heading of a build: "build 14 (2026-12-03 10:52:01 UTC): 3 of 16 TUs rebuilt, ok in 1.2s". */
export function traceHeading(t: BuildTrace): string {
  const when = t.started_at.replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const rebuilt = t.steps.filter((s) => s.kind === 'compile' && !s.pch).length;
  const what = t.noop
    ? `all ${t.tus} TUs up to date (from the change journal)`
    : t.steps.length === 0 && !t.ok
      ? 'stopped before anything was built'
      : `${rebuilt} of ${t.tus} TUs rebuilt`;
  // A no-op's trace stands for the no-ops after it too (the daemon writes one per run of them).
  return `build ${t.id} (${t.noop ? `no-op since ${when}` : when}): ${what}, ${t.ok ? 'ok' : 'failed'} in ${t.seconds.toFixed(1)}s`;
}

/** `why`'s lines for a build, all steps or those `file` picks. */
export function explainTrace(t: BuildTrace, file?: string): string[] {
  const steps = file === undefined ? t.steps : stepsFor(t, file);
  if (steps.length > 0) return steps.map(explainLine);
  if (file !== undefined) return [`${file}: not rebuilt in build ${t.id} (up to date, or not part of the targets built)`];
  return ['nothing was rebuilt'];
}
