// Mutation testing of the ledger, on demand (`npm run test:mutation`), never in CI: the engine's
// idempotency code has its own, slower run in stryker.engine.config.mjs.
import { createRequire } from 'node:module';

const jestConfig = createRequire(import.meta.url)('./jest.config.js');
// rootDir is left to jest.config.js as Stryker's sandbox copy reads it, or the tests would run unmutated code
const { rootDir, ...unit } = jestConfig.projects.find((project) => project.displayName === 'unit');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  checkers: ['typescript'],
  // the ledger imports nothing else: checking only it keeps the checker from being the slow step
  tsconfigFile: 'tsconfig.ledger.json',
  coverageAnalysis: 'perTest',
  // 2 cores shared with other test runs
  concurrency: 1,
  mutate: [
    'libs/ledger/src/**/*.ts',
    // the manual clock is test tooling for the engine's suites, not a ledger rule
    '!libs/ledger/src/clock.ts',
  ],
  jest: {
    projectType: 'custom',
    configFile: 'jest.config.js',
    // jest.config.js's unit project, flattened (Stryker's per-test coverage needs one project) and cut to
    // the ledger's named spec tests; the 2,000-run property test would run for nearly every mutant
    config: {
      ...unit,
      projects: null,
      globalSetup: null,
      globalTeardown: null,
      testMatch: ['<rootDir>/libs/ledger/test/*.unit.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', '\\.property\\.unit\\.spec\\.ts$'],
    },
  },
  ignorePatterns: ['dist', 'data', 'coverage', 'bench/results', 'reports', '.tmp', '.stryker-tmp*', '*.db*', '*.log'],
  tempDirName: '.stryker-tmp',
  // a re-run tests only the mutants whose code or covering tests changed
  incremental: true,
  incrementalFile: 'reports/mutation/ledger-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/ledger.html' },
  jsonReporter: { fileName: 'reports/mutation/ledger.json' },
  thresholds: { high: 95, low: 90, break: 90 },
};
