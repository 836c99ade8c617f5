// Mutation testing of the scoring code: `npm run mutation` (not part of `npm test`).
// Stryker copies the project into a sandbox under .stryker-tmp/ and mutates the copies there,
// never the working tree's files. It mutates harness/scoring.ts and harness/stats.ts and runs
// only the tests written for them; reports land in reports/mutation/.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: ['harness/scoring.ts', 'harness/stats.ts'],
  // The tests that exercise these two files directly; without this list vitest's "related"
  // search would also run every suite that imports them indirectly (engine, site, benchmarks).
  // Not harness/score-scale.test.ts: it calls score() in a describe body, outside any test, which
  // makes every mutant that call reaches "static" for Stryker, and with `testFiles` Stryker 9.6.1
  // does not activate static mutants in time (stryker-js issues #6144, #6209): in a run with it,
  // 139 such mutants were reported Survived although the tests kill them (checked by hand for
  // `(sorted.length - 1) * p` → `+ 1`, which fails 3 tests). Moving that score() call into a
  // beforeAll or the tests would let it back in.
  testFiles: ['harness/scoring.test.ts', 'harness/stats.test.ts', 'harness/intervals.test.ts'],
  vitest: { configFile: 'vitest.config.ts', related: false },
  // Static mutants (module-level values such as DEFAULTS or the t table) are marked Ignored: with
  // `testFiles`, Stryker 9.6.1 activates them only after the module has loaded, so they were
  // reported Survived even when the tests kill them (stryker-js issues #6144, #6209; seen here:
  // T975 = [] "survived" with all 74 tests passing, yet fails 4 tests when applied by hand).
  // For the same reason no test file may call scoring.ts or stats.ts outside a test.
  ignoreStatic: true,
  // Run each mutant against only the tests that executed its code in the dry run.
  coverageAnalysis: 'perTest',
  // One test process at a time: the machine's two cores are shared.
  concurrency: 1,
  // Per mutant: 1.5 × the dry run's time + 10 s (the cores are shared, so runs vary).
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  // Run output and the site are not needed by these tests; keep them out of the sandbox copy.
  ignorePatterns: ['runs', 'site', 'results', 'reports'],
};
