// The ids by which the build state names include-search contexts: a content hash,
// so two TUs compiled with the same search path share one stored context.
import { createHash } from 'node:crypto';
import type { SearchContext, StoredSearchContext } from './build-state.js';

function shortHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 20);
}

export function searchChainId(chain: readonly string[]): string {
  return shortHash(['chain', chain]);
}

export function searchContextId(ctx: StoredSearchContext): string {
  return shortHash(['ctx', ctx.quote, ctx.chain]);
}

/** The id setObject gives `ctx`. */
export function searchIdOf(ctx: SearchContext): string {
  return searchContextId({ quote: ctx.quote, chain: searchChainId(ctx.chain) });
}
