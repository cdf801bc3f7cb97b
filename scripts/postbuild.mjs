// tsc does not keep the executable bit; the bin must be runnable straight from dist.
import { chmodSync } from 'node:fs';
import './bundle-cli.mjs';
import './bundle-daemons.mjs';
import './build-spawn-helper.mjs';
chmodSync(new URL('../dist/client/cli.js', import.meta.url), 0o755);
chmodSync(new URL('../dist/client/cli.bundle.cjs', import.meta.url), 0o755);
