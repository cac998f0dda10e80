/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'sql-traits',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
