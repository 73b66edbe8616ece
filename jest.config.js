/** @type {import('jest').Config} */
module.exports = {
  // Node's, with one engine of CDK's template validator per worker instead of one per test file
  // (test/support/environment.js; the package resolves to test/support/shared-validator.js).
  testEnvironment: '<rootDir>/test/support/environment.js',
  moduleNameMapper: { '^@aws/cloudformation-validate$': '<rootDir>/test/support/shared-validator.js' },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Longest files first (the CDK CLI and whole-fleet synths), also on a clean clone without jest's timing cache.
  testSequencer: '<rootDir>/test/support/sequencer.js',
  testTimeout: 60000,
  maxWorkers: 2,
};
