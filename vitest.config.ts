import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    // The crash test spawns real processes; keep the 2-core machine from thrashing.
    maxWorkers: 2,
  },
});
