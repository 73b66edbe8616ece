/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
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
