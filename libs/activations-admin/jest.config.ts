/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'activations-admin',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
