import { describe, it, expect } from 'vitest';
import { parseDepfile, DepfileParseError } from '../../toolchain/depfile.js';

describe('parseDepfile', () => {
  it('reads a gcc depfile with continuations', () => {
    const text =
      'build/obj/app/src/main.cpp.o: src/main.cpp /usr/include/stdc-predef.h \\\n' +
      ' include/greet.h \\\n /usr/include/c++/12/cstdio\n';
    expect(parseDepfile(text)).toEqual({
      targets: ['build/obj/app/src/main.cpp.o'],
      prereqs: ['src/main.cpp', '/usr/include/stdc-predef.h', 'include/greet.h', '/usr/include/c++/12/cstdio'],
    });
  });

  it('ignores the phony targets -MP adds', () => {
    const text = 't.o: t.cpp /usr/include/stdc-predef.h sp\\ ace/h.h\n/usr/include/stdc-predef.h:\nsp\\ ace/h.h:\n';
    expect(parseDepfile(text)).toEqual({ targets: ['t.o'], prereqs: ['t.cpp', '/usr/include/stdc-predef.h', 'sp ace/h.h'] });
  });

  it('undoes escaped spaces, $$ and \\#, as gcc writes them', () => {
    // Exactly what g++ 12 wrote for #include "sp ace/h$x#.h".
    const text = 't.o: t.cpp /usr/include/stdc-predef.h sp\\ ace/h$$x\\#.h\n';
    expect(parseDepfile(text).prereqs).toEqual(['t.cpp', '/usr/include/stdc-predef.h', 'sp ace/h$x#.h']);
  });

  it('reads backslash runs before a space the way ninja does', () => {
    // 2N backslashes + space: N backslashes, then a separator; 2N+1: N backslashes and a space.
    expect(parseDepfile('o: a\\\\ b\n').prereqs).toEqual(['a\\', 'b']);
    expect(parseDepfile('o: a\\\\\\ b\n').prereqs).toEqual(['a\\ b']);
    // Other backslashes are part of the name.
    expect(parseDepfile('o: C:\\src\\x.h\n').prereqs).toEqual(['C:\\src\\x.h']);
  });

  it('keeps what ends no word inside a name: a lone $, a # after the first character, a colon before a letter', () => {
    // The plain runs between these characters are taken as slices; each of them must still join its run.
    expect(parseDepfile('o: a$b c#d C:/x:y.h\r.h $$e\n').prereqs).toEqual(['a$b', 'c#d', 'C:/x:y.h\r.h', '$e']);
  });

  it('takes several targets and several rules, without duplicates', () => {
    const text = 'a.o b.o: x.cpp y.h\nb.o: z.h y.h\n';
    expect(parseDepfile(text)).toEqual({ targets: ['a.o', 'b.o'], prereqs: ['x.cpp', 'y.h', 'z.h'] });
  });

  it('accepts CRLF line ends, a colon before the continuation and no final newline', () => {
    expect(parseDepfile('a.o:\\\r\n src/a.cpp \\\r\n inc/a.h')).toEqual({ targets: ['a.o'], prereqs: ['src/a.cpp', 'inc/a.h'] });
    expect(parseDepfile('a.o : a.cpp\n')).toEqual({ targets: ['a.o'], prereqs: ['a.cpp'] });
  });

  it('skips comments and blank lines; empty text is an empty depfile', () => {
    expect(parseDepfile('# made by hand\n\na.o: a.cpp # trailing\n')).toEqual({ targets: ['a.o'], prereqs: ['a.cpp'] });
    expect(parseDepfile('')).toEqual({ targets: [], prereqs: [] });
  });

  it('a target without a colon is an error naming the file', () => {
    expect(() => parseDepfile('a.o a.cpp\n', 'x.d')).toThrow(DepfileParseError);
    expect(() => parseDepfile('a.o a.cpp\n', 'x.d')).toThrow(/^x\.d: expected ":" after target "a\.o"/);
  });
});
