import { defineConfig } from 'vitest/config';

// Integration tests start real daemons and run the real g++: forks keep each
// file's processes apart, and two workers match the 2-core machine.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temp HOME per test file: see the file for why.
    setupFiles: ['test/helpers/isolated-home.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
