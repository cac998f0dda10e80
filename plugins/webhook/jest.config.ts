/** @jest-config-loader ts-node */
/** @jest-config-loader-options {"transpileOnly": true} */
export default {
  displayName: 'plugin-webhook',
  preset: '../../jest.preset.js',
  rootDir: '.',
};
