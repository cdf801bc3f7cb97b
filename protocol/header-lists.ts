// The header lists of one compile_batch's results on the wire, each path spelled once
// per batch. A result names every header its compile read (68 in the bench's heavy tree,
// nearly all the same system headers in every TU), so a warm rebuild's results were
// ~95% repeated paths: encoded and written by the compilation daemon, read and decoded
// by the orchestrator, about 3 KB a hit. Here a path already sent in the batch's stream
// is its number (the order in which the stream first spelled it).
//
// Both ends see the same events in the same order (one request's progress notifications
// on one connection), so the numbers agree. Each list also says how many paths the
// stream had spelled before it (`header_base`): a decoder that heard another count (an
// event lost) or a number it does not know fails that job and every later one of the
// batch, rather than name another header.

import type { CompileBatchEvent, CompileResult } from './build.js';
import { ErrorCode } from './error-codes.js';

/** A header list as sent: a path, or the number of a path the stream spelled before. */
export type WireHeaders = (string | number)[];

/** CompileResult with its headers as sent, and how many paths the stream spelled before them. */
export type WireCompileResult = Omit<CompileResult, 'headers'> & { headers: WireHeaders; header_base: number };

/** CompileBatchEvent as compile_batch streams it. */
export type WireCompileBatchEvent =
  | Exclude<CompileBatchEvent, { result: CompileResult }>
  | { index: number; result: WireCompileResult; at_ms?: number };

export class HeaderListEncoder {
  private readonly ids = new Map<string, number>();

  encode(headers: readonly string[]): WireHeaders {
    const out: WireHeaders = new Array<string | number>(headers.length);
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      const id = this.ids.get(h);
      if (id !== undefined) out[i] = id;
      else {
        this.ids.set(h, this.ids.size);
        out[i] = h;
      }
    }
    return out;
  }

  event(e: CompileBatchEvent): WireCompileBatchEvent {
    if (!('result' in e)) return e;
    const header_base = this.ids.size;
    return { ...e, result: { ...e.result, headers: this.encode(e.result.headers), header_base } };
  }
}

export class HeaderListsOutOfStepError extends Error {
  constructor(what: string) {
    super(`the compilation daemon's header lists are out of step with this batch (${what}); build again`);
    this.name = 'HeaderListsOutOfStepError';
  }
}

export class HeaderListDecoder {
  private readonly paths: string[] = [];
  private broken: string | null = null;

  /** The paths of `list` (one instance per path for the whole batch), which the stream
   *  sent after `base` paths. Throws HeaderListsOutOfStepError when that count or a
   *  number is not what this decoder heard, and for every list after that. */
  decode(list: WireHeaders, base: number): string[] {
    if (this.broken === null && base !== this.paths.length) this.broken = `a list after ${base} paths, ${this.paths.length} heard`;
    if (this.broken !== null) throw new HeaderListsOutOfStepError(this.broken);
    const out = new Array<string>(list.length);
    for (let i = 0; i < list.length; i++) {
      const x = list[i];
      if (typeof x === 'string') {
        this.paths.push(x);
        out[i] = x;
      } else {
        const p = typeof x === 'number' ? this.paths[x] : undefined;
        if (p === undefined) {
          this.broken = `header number ${String(x)} of ${this.paths.length}`;
          throw new HeaderListsOutOfStepError(this.broken);
        }
        out[i] = p;
      }
    }
    return out;
  }

  /** The event with its result's headers decoded: an error event for its job when they
   *  cannot be. */
  event(e: WireCompileBatchEvent): CompileBatchEvent {
    if (!('result' in e)) return e;
    const { header_base, headers, ...rest } = e.result;
    try {
      return { ...e, result: { ...rest, headers: this.decode(headers, header_base) } };
    } catch (err) {
      if (!(err instanceof HeaderListsOutOfStepError)) throw err;
      return { index: e.index, error: { code: ErrorCode.InternalError, message: err.message } };
    }
  }
}
