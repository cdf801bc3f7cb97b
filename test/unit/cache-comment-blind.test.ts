// The comment blanker behind direct mode's comment-blind hashes: it must never blank
// what the compiler takes for code (a stale hit), and must keep every line and column.
import { describe, expect, it } from 'vitest';
import { blankComments, commentBlindFacts } from '../../cache/comment-blind.js';
import { factsOf } from '../../cache/fs-snapshot.js';

const blank = (s: string) => blankComments(Buffer.from(s, 'latin1')).text.toString('latin1');
const blind = (s: string) => factsOf(Buffer.from(s, 'latin1'), true).blind!;
const same = (a: string, b: string) => blind(a).blindHash === blind(b).blindHash;

/** Newline positions, which blanking must never move. */
const newlines = (s: string) => [...s].flatMap((c, i) => (c === '\n' || c === '\r' ? [i] : []));

describe('blanking comments', () => {
  it('blanks the bodies of block and line comments, keeping delimiters, length and newlines', () => {
    const src = 'int a; // note\nint b; /* two\n   lines */ int c;\n';
    const out = blank(src);
    expect(out).toBe('int a; //     \nint b; /*    \n         */ int c;\n');
    expect(out.length).toBe(src.length);
    expect(newlines(out)).toEqual(newlines(src));
  });

  it('same-length comment edits hash alike; other edits do not', () => {
    const v = (rev: string, value = '3') => `// config header (comment revision ${rev})\n#pragma once\n#define X ${value}\n`;
    expect(same(v('0'), v('1'))).toBe(true);
    // Nothing follows the comment on its line: no token moved (line-tails.ts).
    expect(same(v('9'), v('10'))).toBe(true);
    expect(same('int a; /* x */ int b;\n', 'int a; /* xy */ int b;\n')).toBe(false); // b moved
    expect(same(v('0'), v('0', '4'))).toBe(false);
    expect(same('int a; /* x */ int b;\n', 'int a; /* y */ int b;\n')).toBe(true);
    // A comment and the same number of spaces are not the same file (-Wimplicit-fallthrough=1).
    expect(same('int a; /**/\n', 'int a;     \n')).toBe(false);
  });

  it('keeps tabs inside comments (they move display columns)', () => {
    expect(blank('/*\tx*/ int a;\n')).toBe('/*\t */ int a;\n');
    expect(same('/*\tx*/ int a;\n', '/*  x*/ int a;\n')).toBe(false);
  });

  it('leaves string and character literals alone, whatever they contain', () => {
    const src = [
      'const char *s = "// not a comment /* nor this */";',
      'const char *t = "a\\"/* still in the string */";',
      "char c = '/'; char q = '\"'; char e = '\\''; /* real */",
      'auto u = u8"//x" u"/*" U"*/" L"//"; wchar_t w = L\'/\';',
      '',
    ].join('\n');
    const out = blank(src);
    const lines = out.split('\n');
    expect(lines[0]).toBe('const char *s = "// not a comment /* nor this */";');
    expect(lines[1]).toBe('const char *t = "a\\"/* still in the string */";');
    expect(lines[2]).toBe("char c = '/'; char q = '\"'; char e = '\\''; /*      */");
    expect(lines[3]).toBe('auto u = u8"//x" u"/*" U"*/" L"//"; wchar_t w = L\'/\';');
  });

  it('raw strings: the delimited text is not a comment; comments after it are', () => {
    expect(blank('auto r = R"(a /* b */ // c)"; // after\n')).toBe('auto r = R"(a /* b */ // c)"; //      \n');
    const tricky = 'auto r = R"xy(a )" /* c */ )xy"; int k;\n';
    expect(blank(tricky)).toBe(tricky);
    expect(blank('auto r = u8R"(/*)"; auto s = LR"--(*/)--"; /* z */\n')).toBe('auto r = u8R"(/*)"; auto s = LR"--(*/)--"; /*   */\n');
    // An identifier that merely ends in R is no raw-string prefix.
    expect(blank('FOOR"(" /* x */;\n')).toBe('FOOR"(" /*   */;\n');
    // A raw string that never ends: hashed as it is.
    expect(blankComments(Buffer.from('auto r = R"(never /* ends */\n')).gaveUp).toMatch(/raw string/);
  });

  it('line splices: a // comment ending in a backslash continues on the next line', () => {
    const src = 'int a; // comment \\\nint hidden = 1;\nint b; // c\n';
    const out = blank(src);
    // Kept verbatim (gcc warns about it), and the continued line is no code.
    expect(out.split('\n').slice(0, 2).join('\n')).toBe('int a; // comment \\\nint hidden = 1;');
    expect(out.split('\n')[2]).toBe('int b; //  ');
    // Editing the continued line changes the hash (the comment is verbatim), as it must
    // for -Wcomment; and the line after it is code either way.
    expect(same(src, src.replace('hidden = 1', 'hidden = 2'))).toBe(false);
    // Backslash, blanks, newline is a splice too.
    expect(blank('// x \\  \nint y;\nint z; /* q */\n')).toBe('// x \\  \nint y;\nint z; /*   */\n');
  });

  it('line splices inside delimiters and bodies', () => {
    expect(blank('/\\\n* body *\\\n/ int y;\n')).toBe('/\\\n*      *\\\n/ int y;\n');
    // A splice inside a block comment: kept verbatim, and the comment still ends at */.
    const spliced = 'int a; /* one \\\n two */ int b;\n';
    expect(blank(spliced)).toBe(spliced);
    expect(same(spliced, spliced.replace('int b', 'int c'))).toBe(false);
    // A splice in the middle of a string: still one string.
    const str = 'const char *s = "a\\\n/* in string */"; /* c */\n';
    expect(blank(str)).toBe('const char *s = "a\\\n/* in string */"; /*   */\n');
  });

  it('digit separators: 1\'000\'000 is a number, not character literals', () => {
    expect(blank("long n = 1'000'000; /* big */\n")).toBe("long n = 1'000'000; /*     */\n");
    expect(blank("auto h = 0xFF'FF'u; // mask\n")).toBe("auto h = 0xFF'FF'u; //     \n");
    // With an odd number of separators the pre-C++14 reading sees an unterminated
    // character literal running over the comment: no reading may blank it.
    const odd = "long m = 1'000; // thousand\n";
    expect(blank(odd)).toBe(odd);
    // Without separators, a quote after a number is a character literal under every reading.
    expect(blank("x = 1 + 'a'; /* c */\n")).toBe("x = 1 + 'a'; /*   */\n");
    // After an exponent's sign a separator continues the number in gcc (.5e+'x): whether p+
    // takes a sign differs between standards, so such a file is hashed as it is. (Found by
    // comparing g++ -E of random texts before and after blanking.)
    const sign = ".5e+'x/* c */x\"/* c */ \"x'/* d */ /* c */\n";
    expect(blankComments(Buffer.from(sign)).gaveUp).toMatch(/exponent sign/);
  });

  it('digraphs: %:include is a directive, its header name is no comment', () => {
    const src = '%:include <a//b.h>\n%:include "x/*y*/z.h"\nint a<:1:>; /* c */\n';
    const r = blankComments(Buffer.from(src));
    expect(r.text.toString()).toBe('%:include <a//b.h>\n%:include "x/*y*/z.h"\nint a<:1:>; /*   */\n');
    expect(r.includes).toEqual([
      { name: 'a//b.h', angled: true },
      { name: 'x/*y*/z.h', angled: false },
    ]);
  });

  it('header names after #include and in __has_include are not comments; include names are listed', () => {
    const src = '# /* c */ include <sys//x.h> // tail\n#include_next "q/*r*/.h"\n#if __has_include(<p//q.h>)\n#endif\n#include MACRO\n';
    const r = blankComments(Buffer.from(src));
    expect(r.text.toString()).toBe('# /*   */ include <sys//x.h> //     \n#include_next "q/*r*/.h"\n#if __has_include(<p//q.h>)\n#endif\n#include MACRO\n');
    expect(r.includes).toEqual([
      { name: 'sys//x.h', angled: true },
      { name: 'q/*r*/.h', angled: false },
    ]);
    expect(r.computedInclude).toBe(true);
    // A quote where a header name belongs: gcc lexes it without escapes when it evaluates
    // the line and with them when it skips it, so the file is hashed as it is.
    expect(blankComments(Buffer.from("#if __has_include('\\''//x)\n#endif\n")).gaveUp).toMatch(/header name/);
    // An include keyword broken by a splice is still an include.
    expect(blankComments(Buffer.from('#inc\\\nlude "pch.h"\n')).includes).toEqual([{ name: 'pch.h', angled: false }]);
  });

  it('unterminated comments and literals', () => {
    const src = 'int a; /* ok */\nint b; /* never closed\nint c;\n';
    expect(blank(src)).toBe('int a; /*    */\nint b; /* never closed\nint c;\n');
    // An unterminated character literal runs to the end of its line, over the comment.
    const apos = "#error don't /* x */\nint d; /* y */\n";
    expect(blank(apos)).toBe("#error don't /* x */\nint d; /*   */\n");
  });

  it('keeps comments the compiler reads', () => {
    for (const src of [
      'case 1: x++; // fall through\ncase 2:\n',
      'case 1: x++; /* FALLTHRU */\ncase 2:\n',
      'case 1: x++; // Falls through.\ncase 2:\n',
      '/* outer /* inner */ int a;\n', // -Wcomment
      '// caf\xe9\nint a;\n', // not ASCII (-Wbidi-chars, -Winvalid-utf8)
      '// \\u202e\nint a;\n', // a backslash
      '/* \x01 */ int a;\n', // a control character
    ]) {
      expect(blank(src)).toBe(src);
    }
  });

  it('gives up (hashes the file as it is) on trigraphs and UCNs outside literals', () => {
    expect(blankComments(Buffer.from('int a; // x ??/\nint b;\n')).gaveUp).toBe('trigraph');
    expect(blankComments(Buffer.from('int \\u00e9t\\u00e9 = 1; // c\n')).gaveUp).toBe('universal character name');
    expect(same('int a; // x ??/\nint b;\n', 'int a; // xy ??/\nint b;\n')).toBe(false);
    expect(same('int a; // x ??/\nint b;\n', 'int a; // x ??/\nint b;\n')).toBe(true);
  });

  it('token hashes ignore comments and white space, not tokens (the guess behind running -E)', () => {
    const tok = (t: string) => blind(t).tokenHash;
    expect(tok('// one\nint foo() { return 1; }\n')).toBe(tok('// reworded at length\n\nint foo() {\n  return 1;\n}\n'));
    expect(tok('int a; /* x */\n')).toBe(tok('int a;\n'));
    expect(tok('int foo() { return 1; }\n')).not.toBe(tok('int foo() { return 2; }\n'));
  });

  it('CRLF line ends stay', () => {
    expect(blank('// c\r\nint x; /* d */\r\n')).toBe('//  \r\nint x; /*   */\r\n');
  });

  it('a comment-blind hash never equals a plain content hash (domain-tagged)', () => {
    for (const t of ['int x = 1;\n', 'int a; // x ??/\nint b;\n']) {
      const data = Buffer.from(t);
      expect(commentBlindFacts(data, factsOf(data).hash).blindHash).not.toBe(factsOf(data).hash);
    }
  });

  it('never moves a newline or changes the length, and is idempotent (random texts)', () => {
    const pieces = [
      'a', ' ', '\n', '\t', '/', '*', '"', "'", '\\', '\\\n', '1', "1'0", 'R"(', ')"', 'R"x(', ')x"', '#', 'include', '<', '>',
      '//', '/*', '*/', 'u8', 'L', '?', '%:', 'fall', '\r\n', 'e+', '.5',
    ];
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let n = 0; n < 3000; n++) {
      let s = '';
      const len = 1 + Math.floor(rnd() * 40);
      for (let k = 0; k < len; k++) s += pieces[Math.floor(rnd() * pieces.length)];
      const out = blank(s);
      expect(out.length).toBe(s.length);
      expect(newlines(out)).toEqual(newlines(s));
      expect(blank(out)).toBe(out);
      // Only comment bodies change, and only to spaces.
      for (let k = 0; k < s.length; k++) if (out[k] !== s[k]) expect(out[k]).toBe(' ');
    }
  });
});

// What a line's tail may drop (line-tails.ts): comments and blanks after its last token.
describe('token positions: line tails', () => {
  it('a comment of any length on its own line or at a line end, and blanks, leave the hash alone', () => {
    const base = '// header\n#define N 3 // three\nint f(); /* short */\n\nint g();\n';
    expect(same(base, '// a header with a much longer description\n#define N 3 // three, as agreed\nint f(); /* a longer block */\n\nint g();\n')).toBe(true);
    expect(same(base, '// header   \n#define N 3    // three\t\nint f();/* short */  \n \t \nint g();  \n')).toBe(true);
    // Middle lines of a block comment, and its last one when nothing follows.
    expect(same('/* a\n b\n c */\nint x;\n', '/* a longer\n   b, reworded at length\n                c */\nint x;\n')).toBe(true);
    expect(same('int x; /* a\n b */\n', 'int x; /* ab\n bcd */  \n')).toBe(true);
  });

  it('whatever moves a token is not free: a line more or less, a longer comment before a token', () => {
    expect(same('// one\nint x;\n', '// one\n// two\nint x;\n')).toBe(false);
    expect(same('int x;\n\nint y;\n', 'int x;\nint y;\n')).toBe(false);
    expect(same('/* a */ int x;\n', '/* ab */ int x;\n')).toBe(false);
    expect(same('/* a\n b */ int x;\n', '/* a\n bc */ int x;\n')).toBe(false); // x's column
    expect(same('/* a\n b */\nint x;\n', '/* a\n\n b */\nint x;\n')).toBe(false); // x's line
    expect(same('int  x;\n', 'int x;\n')).toBe(false);
    expect(same('  int x;\n', 'int x;\n')).toBe(false); // -Wmisleading-indentation reads it
  });

  it('a comment is not the same as no comment, nor a line comment a block one', () => {
    expect(same('int a; // x\n', 'int a;\n')).toBe(false);
    expect(same('int a; // x\n', 'int a; /* x */\n')).toBe(false);
    expect(same('int a; /* x */\n', 'int a; /* x */ /* y */\n')).toBe(false);
  });

  it('text inside literals and raw strings that looks like a comment or a blank is kept', () => {
    expect(same('const char *s = "a // b";\n', 'const char *s = "a // bc";\n')).toBe(false);
    expect(same('const char *s = "x  \n', 'const char *s = "x\n')).toBe(false); // unterminated: the blanks are its
    expect(same('auto r = R"(a  \n// b\n)";\n', 'auto r = R"(a\n// b\n)";\n')).toBe(false);
    expect(same('auto r = R"(a\n// b\n)";\n', 'auto r = R"(a\n// bc\n)";\n')).toBe(false);
    expect(same('#include "a b.h"  \n', '#include "a b.h"\n')).toBe(true);
    expect(same('#include <a  \n', '#include <a\n')).toBe(false);
  });

  it('splices: a // comment ending in a backslash, blanks after a backslash, a line a splice continues', () => {
    // The backslash makes the next line part of the comment: never free.
    expect(same('int a; // c \\\nint b;\n', 'int a; // cd \\\nint b;\n')).toBe(false);
    expect(same('#define X 1 \\  \n+ 2\n', '#define X 1 \\\n+ 2\n')).toBe(false); // gcc warns about the blanks
    expect(same('int a = 1 \\\n   \n', 'int a = 1 \\\n\n')).toBe(false);
    // A comment delimiter split by a splice is kept as it is.
    expect(same('int a; /\\\n* x */\n', 'int a; /\\\n* xy */\n')).toBe(false);
  });

  it('where readings of the file disagree (a digit separator or a char literal), nothing is dropped', () => {
    expect(same("int x = 1'000; // a\n", "int x = 1'000; // ab\n")).toBe(false);
  });

  it('CR LF line ends: tails are free, the line ends are not', () => {
    expect(same('int a; // c\r\nint b;\r\n', 'int a; // longer\r\nint b;  \r\n')).toBe(true);
    expect(same('int a; // c\r\nint b;\r\n', 'int a; // c\nint b;\n')).toBe(false);
  });

  it('trigraphs are off: such a file is hashed as it is', () => {
    expect(same('int a; // x ??=\n', 'int a; // xy ??=\n')).toBe(false);
  });

  it('framing: a kept part cannot pose as a tail (no two files write the same bytes)', () => {
    expect(same('a / /*c*/\n', 'a //**/\n')).toBe(false);
    expect(same('x // c\n', 'x //\n')).toBe(true);
    expect(same('1:x\n', 'x\n')).toBe(false);
  });
});
