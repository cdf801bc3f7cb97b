// The ids by which the build state names include-search contexts: a content hash,
// so two TUs compiled with the same search path share one stored context.
import { createHash } from 'node:crypto';
import type { SearchContext, StoredSearchContext } from './build-state.js';

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 20);
}

/** Ids already computed, by their inputs joined (no path holds a NUL): every hit of a
 *  build asks for its TU's two ids twice (include-search.ts, then setObject), and a
 *  project has few contexts. Bounded: cleared when full. */
const MEMO_MAX = 256;
const memo = new Map<string, string>();

function memoized(key: string, compute: () => string): string {
  let id = memo.get(key);
  if (id === undefined) {
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(key, (id = compute()));
  }
  return id;
}

/** A list as one memo key part: its length first, so [] and [""] differ. */
const keyOf = (xs: readonly string[]): string => `${xs.length}\0${xs.join('\0')}`;

export function searchChainId(chain: readonly string[]): string {
  return memoized(`c\0${keyOf(chain)}`, () => shortHash(['chain', chain]));
}

export function searchContextId(ctx: StoredSearchContext): string {
  return memoized(`x\0${ctx.chain}\0${keyOf(ctx.quote)}`, () => shortHash(['ctx', ctx.quote, ctx.chain]));
}

/** The id setObject gives `ctx`. */
export function searchIdOf(ctx: SearchContext): string {
  return searchContextId({ quote: ctx.quote, chain: searchChainId(ctx.chain) });
}
