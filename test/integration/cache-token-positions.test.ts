// Edits that move no token are hits; edits that move a token's line or column, or that
// only look like comment edits, are not (line-tails.ts). Every case, hit or miss, ends
// with the object the cache left equal byte for byte to a fresh compile of the edited
// files (with -g: its line table and columns included), under g++ and clang++, with
// and without -g. clang -g checksums each file into the object (DWARF 5), so there
// every edit of a file's bytes must miss.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CompileResult } from '../../protocol/build.js';
import { runCompile } from '../../toolchain/compile-runner.js';
import { counts, cxxIdentity, setup, useCompiler, type Env } from './cache-fixtures.js';
import { COMPILERS, type CompilerPair } from '../helpers/compilers.js';
import { utimesSync } from 'node:fs';

let env: (Env & { dispose(): void }) | undefined;
afterEach(() => {
  env?.dispose();
  env = undefined;
});

const HEADER = [
  '// limits.h: the limits every part agrees on',
  '#pragma once',
  '',
  '#define LIMIT 7 // the agreed limit',
  'inline int limit() { return LIMIT; }',
  '/* block comment',
  '   on three lines */',
  'inline int twice(int x) { return 2 * x; }',
  '',
].join('\n');

const SOURCE = '#include "limits.h"\n#include <cassert>\nint check(int v) { assert(v < limit()); return twice(v) + __LINE__; }\n';

interface Edit {
  name: string;
  /** The header after the edit (SOURCE stays, unless `source` is given). */
  header: string;
  source?: string;
  /** Moves no token: a hit wherever the object does not checksum the file. */
  free: boolean;
  /** Leaves -E output alone: a preprocessor-mode hit where the object records no column. */
  sameE?: boolean;
  args?: string[];
}

const EDITS: Edit[] = [
  {
    name: 'a longer comment on its own line',
    header: HEADER.replace('// limits.h: the limits every part agrees on', '// limits.h: the limits every part of the program agrees on, reworded at length'),
    free: true,
  },
  {
    name: "a longer comment at a line's end",
    header: HEADER.replace('// the agreed limit', '// the agreed limit, after a long discussion'),
    free: true,
  },
  {
    name: "a block comment's middle and last lines reworded at other lengths",
    header: HEADER.replace('/* block comment\n   on three lines */', '/* a block comment, now longer\n          on three lines, still */'),
    free: true,
  },
  {
    name: "blank lines' white space and trailing blanks",
    header: HEADER.replace('#pragma once\n\n', '#pragma once \t\n   \t \n').replace('return LIMIT; }', 'return LIMIT; }   '),
    free: true,
  },
  { name: 'the header touched, its bytes unchanged', header: HEADER, free: true },
  {
    name: "the source: a comment at a line's end (after a header name) reworded longer",
    header: HEADER,
    source: SOURCE.replace('#include <cassert>\n', '#include <cassert> // for assert, which expands __LINE__\n'),
    free: true,
  },
  {
    name: 'a comment that gains a line (moves __LINE__, assert and the -g line table)',
    header: HEADER.replace('// limits.h: the limits every part agrees on', '// limits.h: the limits\n// every part agrees on'),
    free: false,
  },
  {
    name: 'a blank line added',
    header: HEADER.replace('#pragma once\n', '#pragma once\n\n'),
    free: false,
  },
  {
    name: 'a comment edit in the source that shifts the line of a later assert',
    header: HEADER,
    source: SOURCE.replace('#include <cassert>\n', '#include <cassert>\n// checks v\n'),
    free: false,
  },
  {
    name: 'a longer comment before a token on its line (moves its column)',
    header: HEADER.replace('inline int twice', '/* doubles */ inline int twice'),
    free: false,
  },
  {
    name: 'a longer comment inside a line (-E shrinks it to a space; -g records the column after it)',
    header: HEADER.replace('{ return 2 * x; }', '{ /* doubles */ return 2 * x; }'),
    free: false,
    sameE: true,
  },
  {
    name: 'text in a string literal that looks like a comment',
    header: HEADER + 'inline const char *note() { return "limit // seven"; }\n',
    free: false,
  },
  {
    name: 'text in a raw string that looks like a comment at a line end',
    header: HEADER + 'inline const char *raw() { return R"(limit // seven   \n)"; }\n',
    free: false,
  },
  {
    name: 'a // comment that now ends in a backslash: the next line becomes comment too',
    header: HEADER + 'int extra = 1; // the extra \\\nint hidden = 2;\n',
    free: false,
  },
];

/** Each edit starts from its own "before" (so that only the edit differs). */
function before(e: Edit): { header: string; source: string } {
  if (e.name.startsWith('text in a string')) return { header: HEADER + 'inline const char *note() { return "limit // 7"; }\n', source: SOURCE };
  if (e.name.startsWith('text in a raw string')) return { header: HEADER + 'inline const char *raw() { return R"(limit // 7   \n)"; }\n', source: SOURCE };
  if (e.name.startsWith('a longer comment inside')) return { header: HEADER.replace('{ return 2 * x; }', '{ /**/ return 2 * x; }'), source: SOURCE };
  if (e.name.startsWith('the source:')) return { header: HEADER, source: SOURCE.replace('#include <cassert>\n', '#include <cassert> // assert\n') };
  if (e.name.startsWith('a // comment')) return { header: HEADER + 'int extra = 1; // the extra\nint hidden = 2;\n', source: SOURCE };
  return { header: HEADER, source: SOURCE };
}

describe.each(COMPILERS.map((c) => [c.name, c] as const))('under %s', (_name, c: CompilerPair) => {
  beforeEach(() => useCompiler(c));

  describe.each([
    ['no -g', ['-O1']],
    ['-g', ['-O1', '-g']],
  ] as const)('%s', (debug, flags) => {
    const checksums = c.kind === 'clang' && debug === '-g';

    it.each(EDITS.map((e) => [e.name, e] as const))('%s', async (_n, e) => {
      // -E beside every compile: preprocessor mode gets its chance wherever it may answer.
      env = await setup({ preprocessAlongside: 'always' });
      const { p, cache, run } = env;
      const b = before(e);
      p.write('include/limits.h', b.header);
      p.write('src/a.cpp', b.source);
      await p.settle();
      const args = ['-Iinclude', ...flags, ...(e.args ?? [])];
      const job = p.job('src/a.cpp', args);
      expect((await cache.compile(job, await cxxIdentity(), run)).outcome).toBe('compiled');
      p.write('include/limits.h', e.header);
      p.write('src/a.cpp', e.source ?? SOURCE);
      if (e.header === b.header && e.source === undefined) {
        // A touch: a new mtime (and ctime), the same bytes.
        const t = new Date(Date.now() + 1000);
        utimesSync(p.path('include/limits.h'), t, t);
      }
      await p.settle();
      p.rm('build');
      const r: CompileResult = await cache.compile(job, await cxxIdentity(), run);
      const hit = e.free && (!checksums || (e.header === b.header && e.source === undefined));
      const ppHit = !hit && e.sameE === true && debug === 'no -g';
      expect(r.outcome).toBe(hit || ppHit ? 'cached' : 'compiled');
      expect(run.calls).toBe(hit || ppHit ? 1 : 2);
      if (hit) expect(await counts(cache)).toMatchObject({ direct: 1, preprocessed: 0, misses: 1 });
      if (ppHit) expect(await counts(cache)).toMatchObject({ direct: 0, preprocessed: 1, misses: 1 });
      // The object the build now has is the compiler's for the edited files.
      const fresh = p.job('src/a.cpp', args, 'build/fresh.o');
      await runCompile(fresh, await cxxIdentity());
      expect(p.read(job.object).equals(p.read('build/fresh.o'))).toBe(true);
    });
  });
});

describe('trigraphs', () => {
  it('under -std=c++14 (trigraphs on) ??/ at a comment end splices the next line in: that file is hashed as it is', async () => {
    useCompiler(COMPILERS[0]!);
    env = await setup({ preprocessAlongside: 'never' });
    const { p, cache, run } = env;
    const args = ['-Iinclude', '-std=c++14', '-O1'];
    p.write('include/t.h', 'int a = 1; // note ??/\nint b = 2;\n');
    p.write('src/a.cpp', '#include "t.h"\nint get() { return a; }\n');
    await p.settle();
    const job = p.job('src/a.cpp', args);
    expect((await cache.compile(job, await cxxIdentity(), run)).outcome).toBe('compiled');
    // Only the comment's text changed, to a lexer that ignores trigraphs; to the compiler, b appeared.
    p.write('include/t.h', 'int a = 1; // note ?? /\nint b = 2;\n');
    await p.settle();
    p.rm('build');
    expect((await cache.compile(job, await cxxIdentity(), run)).outcome).toBe('compiled');
    const fresh = p.job('src/a.cpp', args, 'build/fresh.o');
    await runCompile(fresh, await cxxIdentity());
    expect(p.read(job.object).equals(p.read('build/fresh.o'))).toBe(true);
  });
});
