/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'server-core',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
