// compile_batch's header lists on the wire (protocol/header-lists.ts): each path spelled
// once per batch, later named by its number; the decoder gives back the very lists, and
// fails a job (never names another header) once the stream is out of step.
import { describe, expect, it } from 'vitest';
import { HeaderListDecoder, HeaderListEncoder, type WireCompileBatchEvent } from '../../protocol/header-lists.js';
import type { CompileBatchEvent, CompileResult } from '../../protocol/build.js';
import { ErrorCode } from '../../protocol/error-codes.js';

const result = (headers: string[]): CompileResult => ({ outcome: 'cached', exit_code: 0, stderr: '', duration_ms: 1, headers, compiler_id: 'c' });
const lists = [
  ['/usr/include/map', 'include/a.h', '/usr/include/c++/bits/x.h'],
  ['/usr/include/map', 'include/b.h', 'include/a.h'],
  [],
  ['include/b.h', '/usr/include/c++/bits/x.h', 'include/b.h', 'include/c.h'],
];

describe('header lists of a batch', () => {
  it('spell each path once, and decode to the lists sent, in any mix of events', () => {
    const enc = new HeaderListEncoder();
    const dec = new HeaderListDecoder();
    const sent: CompileBatchEvent[] = [{ index: 9, started: true, at_ms: 5 }, ...lists.map((h, i) => ({ index: i, result: result(h), ...(i === 1 ? { at_ms: 7 } : {}) }))];
    const wire = sent.map((e) => JSON.parse(JSON.stringify(enc.event(e))) as WireCompileBatchEvent);
    const spelled = wire.flatMap((e) => ('result' in e ? e.result.headers.filter((x) => typeof x === 'string') : []));
    expect(spelled.sort()).toEqual(['/usr/include/c++/bits/x.h', '/usr/include/map', 'include/a.h', 'include/b.h', 'include/c.h']);
    expect(wire.map((e) => dec.event(e))).toEqual(sent);
  });

  it('a lost event fails the later jobs instead of shifting their paths', () => {
    const enc = new HeaderListEncoder();
    const dec = new HeaderListDecoder();
    const wire = lists.map((h, i) => enc.event({ index: i, result: result(h) }));
    expect(dec.event(wire[0]!)).toMatchObject({ result: { headers: lists[0] } });
    // wire[1] (which spelled include/b.h) never arrives.
    const after = dec.event(wire[3]!);
    expect(after).toMatchObject({ index: 3, error: { code: ErrorCode.InternalError } });
    expect(JSON.stringify(after)).toMatch(/out of step/);
    // Everything after it fails too, even a list that names only known paths.
    expect(dec.event(enc.event({ index: 4, result: result(['include/a.h']) }))).toMatchObject({ index: 4, error: {} });
  });

  it('a number the decoder never heard fails that job', () => {
    const dec = new HeaderListDecoder();
    const e = dec.event({ index: 0, result: { ...result([]), headers: ['a.h', 3], header_base: 0 } });
    expect(e).toMatchObject({ index: 0, error: { code: ErrorCode.InternalError } });
  });
});
