/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
import type { Config } from 'jest';

// One jest run over every project; each project keeps its own jest.config.ts so `nx test <name>`
// works too. Postgres is provided once for the whole run by the global setup (see libs/persistence/embedded).
const config: Config = {
  projects: ['<rootDir>/{apps,libs,plugins,tools}/*/jest.config.ts'],
  globalSetup: '<rootDir>/libs/persistence/embedded/jest-global-setup.mjs',
  globalTeardown: '<rootDir>/libs/persistence/embedded/jest-global-teardown.mjs',
  reporters: ['default', '<rootDir>/tools/jest/summary-reporter.js'],
  maxWorkers: 2,
  // A global option (projects cannot set it): hooks and tests that create a database, start an app
  // or stop a spawned process take seconds on a busy 2-core machine, and jest's 5 s default failed
  // set-up and tear-down hooks there, not the behaviour under test. Tests that need longer say so.
  testTimeout: 30_000,
};

export default config;
