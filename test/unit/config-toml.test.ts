import { mkdtempSync, rmSync, writeFileSync, mkdirSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, formatIssue } from '../../config/errors.js';
import { locateKey, parseToml, readTomlFile } from '../../config/toml-source.js';

function thrown(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('ConfigError', () => {
  it('lists every issue as file:line:col: error: message', () => {
    const e = new ConfigError([
      { file: '/p/a.toml', line: 3, column: 7, message: 'first' },
      { file: '/p/a.toml', line: 9, column: null, message: 'second' },
      { file: '/p/b.toml', line: null, column: null, message: 'third' },
    ]);
    expect(e.message).toBe(
      ['/p/a.toml:3:7: error: first', '/p/a.toml:9: error: second', '/p/b.toml: error: third'].join('\n'),
    );
    expect(e.issues).toHaveLength(3);
    expect(e.name).toBe('ConfigError');
    expect(e).toBeInstanceOf(Error);
  });

  it("matches the shape of VSCode's $gcc problem matcher", () => {
    const line = formatIssue({ file: 'x.toml', line: 2, column: 5, message: 'bad' });
    const gcc = /^(.*?):(\d+):(\d*):?\s+(?:fatal\s+)?(warning|error):\s+(.*)$/;
    expect(line.match(gcc)?.slice(1)).toEqual(['x.toml', '2', '5', 'error', 'bad']);
  });
});

describe('parseToml', () => {
  it('turns a syntax error into an issue with file, line and column', () => {
    const e = thrown(() => parseToml('[a]\nx = 1\ny = \n', '/p/f.toml'));
    expect(e.issues).toEqual([
      { file: '/p/f.toml', line: 3, column: 5, message: 'TOML syntax error: invalid value' },
    ]);
    expect(e.message).toBe('/p/f.toml:3:5: error: TOML syntax error: invalid value');
  });

  it('reports a redefined table where it is redefined', () => {
    const e = thrown(() => parseToml('[a]\nx = 1\n[a]\n', 'f.toml'));
    expect(e.issues[0]).toMatchObject({ line: 3, column: 2 });
  });

  it('keeps integers and floats apart', () => {
    const t = parseToml('i = 3\nf = 3.0', 'f.toml');
    expect(t['i']).toBe(3n);
    expect(t['f']).toBe(3);
  });
});

describe('readTomlFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'replibuild-toml-'));
    dirs.push(d);
    return d;
  };

  it('returns null for a missing file', () => {
    expect(readTomlFile(join(tmp(), 'nope.toml'))).toBeNull();
  });

  it('strips a BOM and keeps the text', () => {
    const f = join(tmp(), 'a.toml');
    writeFileSync(f, '\uFEFFx = 1\n');
    const src = readTomlFile(f)!;
    expect(src.text).toBe('x = 1\n');
    expect(src.data['x']).toBe(1n);
  });

  it('reports a directory in place of the file', () => {
    const d = tmp();
    mkdirSync(join(d, 'a.toml'));
    const e = thrown(() => readTomlFile(join(d, 'a.toml')));
    expect(e.issues[0]).toMatchObject({ file: join(d, 'a.toml'), line: null, column: null });
    expect(e.issues[0]!.message).toMatch(/directory/);
  });

  it.skipIf(process.getuid?.() === 0)('reports an unreadable file', () => {
    const f = join(tmp(), 'a.toml');
    writeFileSync(f, 'x = 1\n');
    chmodSync(f, 0o000);
    expect(thrown(() => readTomlFile(f)).issues[0]!.message).toMatch(/permission denied/);
  });
});

describe('locateKey', () => {
  const text = [
    '# comment',                                  // 1
    'top = 1',                                    // 2
    '',                                           // 3
    '[daemons]',                                  // 4
    '  enable_setup = false # why',               // 5
    '[ daemons . "discovery" ]',                  // 6
    'watch_interval = 5',                         // 7
    'ignored_patterns = [',                       // 8
    '  "a", # one',                               // 9
    '  """b""",',                                 // 10
    ']',                                          // 11
    'nested.deeper.key = "x"',                    // 12
    "'quoted key' = { inner = 1, other = { leaf = [1, 2] } }", // 13
    'text = """',                                 // 14
    'port = 1 this is inside a string',           // 15
    '"""',                                        // 16
    '[[list.items]]',                             // 17
    'v = 1',                                      // 18
    '[[list.items]]',                             // 19
    'v = 2',                                      // 20
    '[list.items.sub]',                           // 21
    'w = 3',                                      // 22
  ].join('\n');

  it('parses as TOML', () => {
    expect(() => parseToml(text, 't.toml')).not.toThrow();
  });

  it.each([
    [['top'], 2, 1],
    [['daemons'], 4, 2],
    [['daemons', 'enable_setup'], 5, 3],
    [['daemons', 'discovery'], 6, 13],
    [['daemons', 'discovery', 'watch_interval'], 7, 1],
    [['daemons', 'discovery', 'ignored_patterns'], 8, 1],
    [['daemons', 'discovery', 'ignored_patterns', '0'], 9, 3],
    [['daemons', 'discovery', 'ignored_patterns', '1'], 10, 3],
    [['daemons', 'discovery', 'nested', 'deeper'], 12, 8],
    [['daemons', 'discovery', 'nested', 'deeper', 'key'], 12, 15],
    [['daemons', 'discovery', 'quoted key'], 13, 1],
    [['daemons', 'discovery', 'quoted key', 'other', 'leaf'], 13, 39],
    [['daemons', 'discovery', 'quoted key', 'other', 'leaf', '1'], 13, 50],
    [['list', 'items'], 17, 8],
    [['list', 'items', '1', 'v'], 20, 1],
    [['list', 'items', '1', 'sub', 'w'], 22, 1],
    [['list', 'items', '0', 'v'], 18, 1],
  ])('finds %j at %i:%i', (path, line, column) => {
    expect(locateKey(text, path)).toEqual({ line, column });
  });

  it('does not see keys inside multi-line strings', () => {
    expect(locateKey(text, ['daemons', 'discovery', 'port'])).toEqual({ line: 6, column: 13 });
  });

  it('falls back to the table header, then to line 1', () => {
    expect(locateKey(text, ['daemons', 'missing'])).toEqual({ line: 4, column: 2 });
    expect(locateKey(text, ['nothing', 'here'])).toEqual({ line: 1, column: 1 });
    expect(locateKey('', ['a'])).toEqual({ line: 1, column: 1 });
  });

  it('decodes escapes in quoted keys', () => {
    expect(locateKey('"a\\u0062" = 1', ['ab'])).toEqual({ line: 1, column: 1 });
  });

  it('handles CRLF line ends', () => {
    expect(locateKey('[a]\r\nx = 1\r\n  y = 2\r\n', ['a', 'y'])).toEqual({ line: 3, column: 3 });
  });

  it('never throws on malformed text', () => {
    for (const bad of ['[a', 'x = [1, 2', 'x = {a = ', '"unterminated = 1', '= 3', 'x = """abc', '[[', ']]]']) {
      expect(() => locateKey(bad, ['x'])).not.toThrow();
    }
  });
});
