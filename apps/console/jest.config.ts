/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
// The console's browser test (its global setup makes sure Chromium is there and builds the console)
// and the unit tests of its pure helpers and components (.tsx rendered to static markup with
// react-dom/server: SWC reads JSX with React's automatic runtime, as Vite does for the build; jest
// merges this transform with the preset's .ts one).
export default {
  displayName: 'console',
  preset: '../../jest.preset.js',
  moduleFileExtensions: ['ts', 'tsx', 'js', 'mjs', 'json'],
  transform: {
    '^.+\\.tsx$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript', tsx: true }, transform: { react: { runtime: 'automatic' } }, target: 'es2022' },
        module: { type: 'commonjs' },
      },
    ],
  },
  rootDir: '.',
  testMatch: ['<rootDir>/e2e/**/*.e2e.spec.ts', '<rootDir>/src/**/*.spec.ts'],
  globalSetup: '<rootDir>/e2e/global-setup.js',
};
