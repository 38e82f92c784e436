/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    '^@apidevtools/json-schema-ref-parser$': '<rootDir>/__tests__/helpers/ref-parser-unavailable.cjs',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  testTimeout: 30000,
  maxWorkers: 2,
  // One PostgreSQL server per run, shared by the suites (each makes its own databases).
  globalSetup: '<rootDir>/__tests__/helpers/global-setup.mjs',
  globalTeardown: '<rootDir>/__tests__/helpers/global-teardown.mjs',
  // `npm test` measures coverage (scripts/test.sh passes --coverage) and prints the summary; it is not a
  // gate. V8's own counters (no instrumenting transform); code run in child processes (the CLI binary,
  // the app server, the Action bundle) is not counted.
  coverageProvider: 'v8',
  collectCoverageFrom: ['{src,app,action,sandbox}/**/*.ts'],
  coverageReporters: ['text-summary'],
};
