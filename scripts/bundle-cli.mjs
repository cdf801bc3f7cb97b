// The CLI's no-op path in one file. Node's ESM loader resolves, reads and links
// each module on its own; the ~24 a no-op `compile` needs cost more than the
// daemons' answer. Everything the entry imports statically is bundled into
// dist/client/cli.bundle.js; what it imports dynamically (commander, the other
// commands, the in-process build) stays in dist/ and is loaded from there, so
// only the hot path is copied and nothing runs twice under two names.
import { build } from 'esbuild';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');
const outfile = resolve(dist, 'client/cli.bundle.js');

/** import('…') of our own modules: kept, pointed from the bundle to the dist file. */
const keepDynamic = {
  name: 'keep-dynamic-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      if (!args.path.startsWith('.')) return { path: args.path, external: true };
      let rel = relative(dirname(outfile), resolve(args.resolveDir, args.path));
      if (!rel.startsWith('.')) rel = `./${rel}`;
      return { path: rel, external: true };
    });
  },
};

await build({
  entryPoints: [resolve(dist, 'client/cli.js')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  plugins: [keepDynamic],
  logLevel: 'warning',
});
