// Unit tests sit beside the code (src/.../*.test.ts); tests on a real Redis live in test/ folders.
const transform = {
  '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022', parser: { syntax: 'typescript' } } }],
  // the agent console's browser modules (plain ES modules, no build step), for their unit tests
  '/services/dashboard/src/console/static/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' } }],
};
const moduleNameMapper = { '^@bridge/shared$': '<rootDir>/packages/shared/src/index.ts' };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 30_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      // test/docs: the documents checked against the code (no Redis)
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/services/*/src/**/*.test.ts', '<rootDir>/test/docs/**/*.test.ts'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/services/*/test/**/*.int.test.ts', '<rootDir>/test/**/*.int.test.ts'],
      globalSetup: '<rootDir>/test/global-setup.js',
      globalTeardown: '<rootDir>/test/global-teardown.js',
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'],
      // no globalSetup: every e2e test starts its own Redis (test/helpers/bridge-processes.ts)
    },
  ],
};
