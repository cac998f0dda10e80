/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
// The console's browser test (its global setup makes sure Chromium is there and builds the console)
// and the unit tests of its pure helpers.
export default {
  displayName: 'console',
  preset: '../../jest.preset.js',
  rootDir: '.',
  testMatch: ['<rootDir>/e2e/**/*.e2e.spec.ts', '<rootDir>/src/**/*.spec.ts'],
  globalSetup: '<rootDir>/e2e/global-setup.js',
};
