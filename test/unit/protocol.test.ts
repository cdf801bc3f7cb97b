import { describe, expect, it } from 'vitest';
import { LineDecoder, encodeMessage } from '../../rpc/framing.js';
import { parseMessage, RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { arrayOf, bool, int, obj, optional, str } from '../../rpc/methods.js';

describe('LineDecoder', () => {
  it('splits lines across chunk boundaries and skips blank ones', () => {
    const d = new LineDecoder(100);
    expect(d.push(Buffer.from('{"a":'))).toEqual([]);
    expect(d.push(Buffer.from('1}\n\n{"b":2}\r\n{"c"'))).toEqual([
      { kind: 'line', line: '{"a":1}' },
      { kind: 'line', line: '{"b":2}' },
    ]);
    expect(d.push(Buffer.from(':3}\n'))).toEqual([{ kind: 'line', line: '{"c":3}' }]);
  });

  it('reports an oversized line once, without buffering it, and recovers', () => {
    const d = new LineDecoder(10);
    expect(d.push(Buffer.from('x'.repeat(8)))).toEqual([]);
    expect(d.push(Buffer.from('y'.repeat(50)))).toEqual([]);
    expect(d.push(Buffer.from('z\nok\n'))).toEqual([
      { kind: 'overflow', bytes: 59 },
      { kind: 'line', line: 'ok' },
    ]);
  });

  it('keeps multi-byte characters split across chunks intact', () => {
    const d = new LineDecoder(100);
    const bytes = Buffer.from('"é✓"\n');
    expect(d.push(bytes.subarray(0, 2))).toEqual([]);
    expect(d.push(bytes.subarray(2))).toEqual([{ kind: 'line', line: '"é✓"' }]);
  });

  it('encodes one message per line even with newlines in strings', () => {
    const line = encodeMessage({ s: 'a\nb' });
    expect(line.indexOf('\n')).toBe(line.length - 1);
  });
});

describe('parseMessage', () => {
  const code = (l: string) => {
    const m = parseMessage(l);
    return m.kind === 'invalid' ? m.error.code : m.kind;
  };
  it('classifies requests, notifications and responses', () => {
    expect(code('{"jsonrpc":"2.0","id":1,"method":"ping"}')).toBe('request');
    expect(code('{"jsonrpc":"2.0","method":"progress","params":{}}')).toBe('notification');
    expect(code('{"jsonrpc":"2.0","id":1,"result":null}')).toBe('response');
    expect(code('{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}')).toBe('response');
  });
  it('rejects what is not JSON-RPC 2.0', () => {
    expect(code('nope')).toBe(ErrorCode.ParseError);
    expect(code('[1,2]')).toBe(ErrorCode.InvalidRequest);
    expect(code('{"id":1,"method":"x"}')).toBe(ErrorCode.InvalidRequest);
    expect(code('{"jsonrpc":"2.0","id":1,"method":5}')).toBe(ErrorCode.InvalidRequest);
    expect(code('{"jsonrpc":"2.0","id":{},"method":"x"}')).toBe(ErrorCode.InvalidRequest);
    expect(code('{"jsonrpc":"2.0","id":1,"method":"x","params":3}')).toBe(ErrorCode.InvalidRequest);
  });
});

describe('params checks', () => {
  const check = obj({ name: str, jobs: optional(int, 0), flags: arrayOf(str), verbose: optional(bool, false) });
  it('accepts what the shape says, with defaults', () => {
    expect(check({ name: 'a', flags: ['-O2'] }, 'params')).toEqual({ name: 'a', jobs: 0, flags: ['-O2'], verbose: false });
  });
  it('names the offending parameter', () => {
    const fail = (v: unknown) => {
      try {
        check(v, 'params');
      } catch (e) {
        expect(e).toBeInstanceOf(RpcError);
        expect((e as RpcError).code).toBe(ErrorCode.InvalidParams);
        return (e as Error).message;
      }
      throw new Error('accepted');
    };
    expect(fail({ name: 1, flags: [] })).toMatch(/params\.name must be a string/);
    expect(fail({ name: 'a', flags: [1] })).toMatch(/params\.flags\[0\]/);
    expect(fail({ name: 'a', flags: [], extra: true })).toMatch(/params\.extra/);
    expect(fail('x')).toMatch(/params must be an object/);
  });
});
