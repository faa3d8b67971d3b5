// One jest run, three kinds of suite told apart by suffix; each kind is a project so it can run alone.
const moduleNameMapper = {
  '^@app/(ledger|event-store|read-models|auth|engine)(|/.*)$': '<rootDir>/libs/$1/src$2',
};
const transform = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
  // @fastify/static (Swagger UI's assets) depends on an ESM-only content-disposition; jest's loader needs CommonJS
  '/node_modules/content-disposition/.+\\.js$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }],
};
const base = {
  rootDir: __dirname,
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  moduleFileExtensions: ['ts', 'js', 'json'],
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns: ['/node_modules/(?!content-disposition/)'],
  moduleNameMapper,
};
module.exports = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 2,
  // e2e suites boot the whole engine; the per-project value is not honoured by jest 30
  testTimeout: 120000,
  projects: [
    { ...base, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    { ...base, displayName: 'int', testMatch: ['**/*.int.spec.ts'] },
    { ...base, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'] },
  ],
};
