import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{harness,benchmarks,baselines,methods,scripts,site,kernels}/**/*.test.ts'],
    // Statistical tests run many replicates and CLI smoke tests spawn processes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
