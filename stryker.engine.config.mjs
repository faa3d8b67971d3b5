// Mutation testing of the engine's idempotency and command path, on demand (`npm run test:mutation:engine`):
// its killers boot the engine over HTTP, so it runs apart from the ledger's quick run.
import { createRequire } from 'node:module';
import ledger from './stryker.config.mjs';

const jestConfig = createRequire(import.meta.url)('./jest.config.js');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  ...ledger,
  mutate: ['libs/engine/src/idempotency.ts', 'libs/engine/src/aggregate.service.ts'],
  tsconfigFile: 'tsconfig.json',
  jest: {
    ...ledger.jest,
    config: {
      ...ledger.jest.config,
      testTimeout: jestConfig.testTimeout,
      // the suites that drive the idempotency keys and the re-decide-on-conflict path (SQLite, embedded profile)
      testMatch: [
        '<rootDir>/libs/engine/src/aggregate.service.int.spec.ts',
        '<rootDir>/test/e2e/ledger-concurrency.e2e.spec.ts',
        // suites written for the idempotency keys themselves, wherever they live
        '<rootDir>/{libs,test}/**/*idempotency*.{int,e2e}.spec.ts',
      ],
      testPathIgnorePatterns: ['/node_modules/'],
    },
  },
  // its own sandbox, so it may run beside the ledger's
  tempDirName: '.stryker-tmp-engine',
  htmlReporter: { fileName: 'reports/mutation/engine.html' },
  jsonReporter: { fileName: 'reports/mutation/engine.json' },
  incrementalFile: 'reports/mutation/engine-incremental.json',
  // a score to watch, not a gate yet
  thresholds: { high: 90, low: 70, break: null },
};
