// resolverFrom and resolveQuick (fs/resolver.ts) must answer exactly what path.resolve() does.
import { expect, it } from 'vitest';
import { resolve } from 'node:path';
import { resolveQuick, resolverFrom } from '../../fs/resolver.js';

it('answers resolve(base, p) for plain, nested, absolute, dotted and odd paths', () => {
  const paths = [
    'a.o', 'build/obj/a.o', 'build/obj/b.o', './build/obj/a.o', 'build//obj/a.o', 'build/obj/../x/a.o',
    '../up/a.o', '../../a.o', '/abs/a.o', '/a.o', '/', '.', '..', 'build/obj/', 'build/obj/.', 'build/obj/..',
    'x/./y/a.o', '.hidden', 'build/obj/.o',
  ];
  for (const base of ['/tmp/proj', '/tmp/proj/', '/', '/tmp/../tmp/proj']) {
    const r = resolverFrom(base);
    // Twice: the second round answers from the memo.
    for (let round = 0; round < 2; round++) for (const p of paths) expect(r(p), `${base} + ${p}`).toBe(resolve(base, p));
  }
});

it('resolveQuick answers resolve(base, p), its shortcut taken or not', () => {
  const paths = [
    'a.o', 'build/obj/a.o', './build/obj/a.o', 'build//obj/a.o', 'build/obj/../x/a.o', '../up/a.o', '/abs/a.o', '/', '.', '..', '',
    'build/obj/', 'build/obj/.', 'build/obj/..', 'x/./y/a.o', '.hidden', 'build/obj/.o', '..x/a.o', 'a/b../c', '/tmp/proj', '/tmp/proj/',
  ];
  for (const base of ['/tmp/proj', '/tmp/proj/', '/', '/tmp/../tmp/proj', '/tmp//proj', '/tmp/./proj', '/tmp/.proj', 'rel/base']) {
    // Twice, and with another base in between: the last clean base is remembered.
    for (let round = 0; round < 2; round++) {
      for (const p of paths) expect(resolveQuick(base, p), `${base} + ${p}`).toBe(resolve(base, p));
      resolveQuick('/other', 'x.o');
    }
  }
});
