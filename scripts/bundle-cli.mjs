// The CLI's entry as one file: dist/client/cli.bundle.cjs holds cli.ts and everything
// the daemon build (`replibuild compile` with the orchestrator running, the no-op's
// path) needs, so a build starts by loading one module instead of some twenty-five
// (each an ESM resolve, a read and a compile). Everything else the CLI imports
// dynamically (the other commands, commander, in-process builds) stays the modules
// tsc wrote beside it, loaded only when used.
import { build } from 'esbuild';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = resolve(repo, 'dist/client');
/** Dynamically imported modules that belong in the bundle: the daemon build's path. */
const BUNDLED = new Set(['client/commands/compile.ts', 'daemons/host/daemon-channel.ts']);

const lazyModules = {
  name: 'lazy-modules',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      if (args.kind !== 'dynamic-import') return undefined;
      const src = resolve(args.resolveDir, args.path).replace(/\.js$/, '.ts');
      const rel = relative(repo, src);
      if (BUNDLED.has(rel)) return undefined;
      let path = relative(outDir, resolve(repo, 'dist', rel.replace(/\.ts$/, '.js')));
      if (!path.startsWith('.')) path = `./${path}`;
      return { path, external: true };
    });
  },
};

await build({
  entryPoints: [resolve(repo, 'client/cli.ts')],
  outfile: resolve(outDir, 'cli.bundle.cjs'),
  bundle: true,
  // CommonJS: Node 20 loads one CJS file without starting its ES module loader's
  // resolve-and-link machinery (measured: some 10 ms of CPU less per start than the same
  // bundle as an ES module). The lazy modules are ES modules, reached by import().
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  plugins: [lazyModules],
  logLevel: 'warning',
  // tsc's output beside it keeps the source maps; the bundle's stack traces name its own lines.
  sourcemap: false,
});
