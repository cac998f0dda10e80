/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'vendor-events',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
